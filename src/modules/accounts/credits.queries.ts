// The credit ledger in SQL, for callers inside their own transaction on a raw client (the
// dispatcher's debits and refunds). Functions that take a raw client end in `On`.
//
// The balance is the sum of the ledger, kept on the account's row (`credit_balance_micros`) by a
// trigger on credit_transaction in the statement that writes an entry (migration
// AccountCreditBalance), so reading it is one primary-key lookup instead of a sum over every
// entry; the hourly reconciliation below holds it to the sum.
import type pg from 'pg';

/** The balance (the ledger's sum, as kept on the account's row). */
export async function balanceOn(client: pg.ClientBase, accountId: string): Promise<number> {
  const { rows } = await client.query<{ balance: string }>({ name: 'credit-balance', text: 'select credit_balance_micros as balance from account where id = $1', values: [accountId] });
  return Number(rows[0]?.balance ?? 0);
}

/** The sum of the ledger itself: what the kept balance must equal. */
export async function ledgerSumOn(client: pg.ClientBase, accountId: string): Promise<number> {
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
 * batches cannot both spend the last credit: the balance read after the lock includes every
 * debit committed before it. */
export async function debitOn(client: pg.ClientBase, entry: { accountId: string; campaignId: string | null; amountMicros: number; note: string }): Promise<boolean> {
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [entry.accountId]);
  if ((await balanceOn(client, entry.accountId)) < entry.amountMicros) return false;
  await recordSendingEntryOn(client, { ...entry, kind: 'debit', amountMicros: -entry.amountMicros });
  return true;
}

/** Accounts whose kept balance is not the sum of their ledger. Across accounts on purpose (the
 * hourly reconciliation). One statement reads both in one snapshot, and an entry commits with
 * its trigger's update, so a difference seen here is real, not a write in flight. */
export async function accountsWithWrongBalanceOn(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `select a.id from account a left join (select account_id, sum(amount_micros) as balance from credit_transaction group by account_id) t on t.account_id = a.id
     where a.credit_balance_micros <> coalesce(t.balance, 0) order by a.id`,
  );
  return rows.map((row) => row.id);
}

export interface BalanceFix {
  accountId: string;
  keptMicros: number;
  ledgerMicros: number;
}

/** Sets an account's kept balance to its ledger's sum, inside the caller's transaction; the fix,
 * or null when it was right. The account row is locked before the sum is read, so an entry being
 * written meanwhile waits for this transaction and then adds its amount to the corrected balance
 * (a single UPDATE … FROM the sum would re-check a concurrently changed row against a sum taken
 * before that change, and lose it). */
export async function resetBalanceOn(client: pg.ClientBase, accountId: string): Promise<BalanceFix | null> {
  const { rows } = await client.query<{ kept: string }>('select credit_balance_micros as kept from account where id = $1 for no key update', [accountId]);
  if (!rows[0]) return null;
  const keptMicros = Number(rows[0].kept);
  const ledgerMicros = await ledgerSumOn(client, accountId);
  if (keptMicros === ledgerMicros) return null;
  await client.query('update account set credit_balance_micros = $2 where id = $1', [accountId, ledgerMicros]);
  return { accountId, keptMicros, ledgerMicros };
}
