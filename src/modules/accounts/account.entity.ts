import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'account',
  filters: tenantFilter('id'),
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.string().length(200),
    timeZone: p.string().length(64).default('UTC'),
    currency: p.string().length(3).default('EUR'),
    /** ISO country assumed for phone numbers written without an international prefix. */
    defaultCountry: p.string().length(2).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Account = InferEntity<typeof Account>;
