import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';
import { Account } from './account.entity.js';

// Only a SHA-256 of the key is stored; the key itself is shown once, when it is created.
// `prefix` (the first characters) lets a user recognise a key in the list.
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  filters: tenantFilter(),
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    name: p.string().length(100),
    prefix: p.string().length(16),
    keyHash: p.string().length(64).unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account'] }],
});
export type ApiKey = InferEntity<typeof ApiKey>;
