// The credit ledger in SQL, for callers inside their own transaction on a raw client (the
// dispatcher's debits and refunds). Functions that take a raw client end in `On`.
import type pg from 'pg';

/** The balance: the sum of the ledger. */
export async function balanceOn(client: pg.ClientBase, accountId: string): Promise<number> {
  const { rows } = await client.query<{ balance: string }>('select coalesce(sum(amount_micros), 0) as balance from credit_transaction where account_id = $1', [accountId]);
  return Number(rows[0]!.balance);
}

/** A system entry of a campaign's sending: a debit (negative) or a refund (positive). */
export async function recordSendingEntryOn(client: pg.ClientBase, entry: { accountId: string; campaignId: string | null; kind: 'debit' | 'refund'; amountMicros: number; note: string }): Promise<void> {
  await client.query(`insert into credit_transaction (account_id, kind, amount_micros, note, campaign_id, actor) values ($1, $2, $3, $4, $5, 'system')`, [
    entry.accountId,
    entry.kind,
    entry.amountMicros,
    entry.note.slice(0, 300),
    entry.campaignId,
  ]);
}

/** Debits a campaign's batch when the balance covers it; false (and nothing written) when not.
 * One account's debits are serialised (an advisory lock until the transaction ends), so two
 * batches cannot both spend the last credit. */
export async function debitOn(client: pg.ClientBase, entry: { accountId: string; campaignId: string | null; amountMicros: number; note: string }): Promise<boolean> {
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [entry.accountId]);
  if ((await balanceOn(client, entry.accountId)) < entry.amountMicros) return false;
  await recordSendingEntryOn(client, { ...entry, kind: 'debit', amountMicros: -entry.amountMicros });
  return true;
}
