import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from './base-entity.js';

// The price of one SMS part to a destination country, in micro-units of the account currency.
// The row with no country is the default for every country without a row of its own.
export const Price = defineEntity({
  name: 'Price',
  tableName: 'price',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    country: p.string().length(2).nullable(),
    partPriceMicros: p.bigint('number'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [{ expression: 'create unique index "price_account_country_unique" on "price" ("account_id", coalesce("country", \'\'))', name: 'price_account_country_unique' }],
});
export type Price = InferEntity<typeof Price>;
