// The account's credit: the balance is the sum of its ledger (credit_transaction), shown in the
// upper right corner of every page. Top-ups come from an owner (Settings → Credits) or the CLI.
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { ValidationError } from '../../errors.js';
import type { Account } from './account.entity.js';
import { CreditTransaction } from './credit-transaction.entity.js';
import { balanceOn } from './credits.queries.js';
import { MICROS_PER_UNIT, formatMoney } from '../../money.js';

/** The balance: the sum of the ledger (one wrapper over the ledger's SQL in credits.queries.ts). */
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

/** The balance as the layout's header shows it; null for a visitor without an account. */
export async function layoutBalance(em: EntityManager, account: Pick<Account, 'id' | 'currency'> | null): Promise<string | null> {
  return account ? formatMoney(await creditBalance(em, account.id), account.currency) : null;
}
