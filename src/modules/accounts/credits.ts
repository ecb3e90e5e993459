// The account's credit: the balance is the sum of its ledger (credit_transaction), kept on the
// account's row as entries are written, and shown in the upper right corner of every page.
// Top-ups come from an owner (Settings → Credits) or the CLI.
import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction, withClient } from '../../db/raw-client.js';
import { ValidationError } from '../../errors.js';
import type { Account } from './account.entity.js';
import { CreditTransaction } from './credit-transaction.entity.js';
import { accountsWithWrongBalanceOn, balanceOn, resetBalanceOn, type BalanceFix } from './credits.queries.js';
import { MICROS_PER_UNIT, formatMoney } from '../../money.js';

/** The balance: the sum of the ledger, as kept on the account's row (credits.queries.ts). */
export async function creditBalance(em: EntityManager, accountId: string): Promise<number> {
  return withClient(em, (client) => balanceOn(client, accountId));
}

/** Parses an amount typed in the account currency ("12.50", "12,5", "1 000") into micro-units. */
export function parseAmount(raw: unknown): number | null {
  const text = String(raw ?? '').trim().replace(/[\s\u00a0]/g, '').replace(',', '.');
  if (!/^\d+(\.\d{1,6})?$/.test(text)) return null;
  const [whole, fraction = ''] = text.split('.');
  const micros = Number(whole) * MICROS_PER_UNIT + Number(fraction.padEnd(6, '0'));
  return Number.isSafeInteger(micros) ? micros : null;
}

export const MAX_TOPUP_MICROS = 1_000_000 * MICROS_PER_UNIT;

export async function addCredit(em: EntityManager, account: Account, amount: unknown, note: unknown, actor: string): Promise<CreditTransaction> {
  const micros = parseAmount(amount);
  const errors: Record<string, string> = {};
  if (micros === null || micros <= 0) errors.amount = 'Enter a positive amount, such as 50 or 12.50.';
  else if (micros > MAX_TOPUP_MICROS) errors.amount = 'At most 1,000,000 at a time.';
  const text = String(note ?? '').trim();
  if (text.length > 300) errors.note = 'A note can have at most 300 characters.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const entry = em.create(CreditTransaction, { account, kind: 'topup', amountMicros: micros!, note: text || null, actor });
  await em.flush();
  return entry;
}

/** The balance as the layout's header shows it; null for a visitor without an account. It is the
 * one read with the account when the request was authenticated (the session's or the API key's
 * query), so a page or a tab switch costs no query for it. */
export function layoutBalance(account: Pick<Account, 'creditBalanceMicros' | 'currency'> | null): string | null {
  return account ? formatMoney(account.creditBalanceMicros, account.currency) : null;
}

/** The hourly reconciliation: every account whose kept balance is not its ledger's sum (a change
 * the trigger did not see: a restore, a hand-made fix with the trigger off) is set to the sum,
 * one short transaction each. Answers what was fixed, for the log. */
export async function reconcileCreditBalances(em: EntityManager): Promise<BalanceFix[]> {
  const fixes: BalanceFix[] = [];
  for (const accountId of await withClient(em, accountsWithWrongBalanceOn)) {
    const fix = await inTransaction(em, (client) => resetBalanceOn(client, accountId));
    if (fix) fixes.push(fix);
  }
  return fixes;
}
