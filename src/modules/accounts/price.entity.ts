import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';
import { Account } from './account.entity.js';

// The price of one SMS part to a destination country, in micro-units of the account currency.
// The row with no country is the default for every country without a row of its own.
export const Price = defineEntity({
  name: 'Price',
  tableName: 'price',
  filters: tenantFilter(),
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    country: p.string().length(2).nullable(),
    partPriceMicros: p.bigint('number'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [{ expression: 'create unique index "price_account_country_unique" on "price" ("account_id", coalesce("country", \'\'))', name: 'price_account_country_unique' }],
});
export type Price = InferEntity<typeof Price>;
