import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { serialId } from '../../db/base-properties.js';
import { ownedByAccount } from './base-entity.js';

export const CREDIT_KINDS = ['topup', 'debit', 'refund', 'adjustment'] as const;
export type CreditKind = (typeof CREDIT_KINDS)[number];

// The credit ledger, append-only: the balance is the sum of `amountMicros` (top-ups and refunds
// positive, debits negative). A trigger adds each entry to `account.credit_balance_micros` in the
// statement that writes it, so pages read the sum without summing (an hourly job checks it).
// Money is integer micro-units of the account currency. Sending debits per dispatched batch, not
// per message.
export const CreditTransaction = defineEntity({
  name: 'CreditTransaction',
  tableName: 'credit_transaction',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    kind: p.enum([...CREDIT_KINDS]),
    amountMicros: p.bigint('number'),
    note: p.string().length(300).nullable(),
    /** The campaign a debit or refund belongs to (no foreign key: the ledger outlives campaigns). */
    campaignId: p.uuid().nullable(),
    actor: p.string().length(300),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ properties: ['account', 'createdAt'], name: 'credit_transaction_account_created_index' }],
});
export type CreditTransaction = InferEntity<typeof CreditTransaction>;
