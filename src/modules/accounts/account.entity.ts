import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { createdAt, uuidId } from '../../db/base-properties.js';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'account',
  filters: tenantFilter('id'),
  properties: {
    ...uuidId(),
    name: p.string().length(200),
    timeZone: p.string().length(64).default('UTC'),
    currency: p.string().length(3).default('EUR'),
    /** ISO country assumed for phone numbers written without an international prefix. */
    defaultCountry: p.string().length(2).nullable(),
    /** Marketing messages wait for each country's send window (accounts/quiet-hours.ts). */
    quietHours: p.boolean().default(true),
    /** Per-country windows that replace the defaults, keyed by country code or "*". */
    quietHourRules: p.json<Record<string, unknown>>().nullable(),
    /** The credit balance (micro-units): the sum of the account's ledger, kept on this row by a
     * trigger on credit_transaction (migration AccountCreditBalance). A formula, so the ORM
     * reads it with the row and never writes it. */
    creditBalanceMicros: p.bigint('number').formula((alias) => `${alias}.credit_balance_micros`),
    ...createdAt(),
  },
});
export type Account = InferEntity<typeof Account>;
