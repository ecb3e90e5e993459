// The account's credit balance, shown in the upper right corner of every page.
// The credit ledger (top-ups, debits, refunds; the balance is their sum) arrives with the sending
// engine; until then every account's balance is zero.
import type { EntityManager } from '@mikro-orm/postgresql';

export async function creditBalance(_em: EntityManager, _accountId: string): Promise<number> {
  return 0;
}
