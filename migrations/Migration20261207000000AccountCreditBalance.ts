import { Migration } from '@mikro-orm/migrations';

// The account's credit balance kept on its row, so that a page does not sum the ledger to show it
// in the header. The ledger (credit_transaction) stays the record and the balance stays its sum:
// a row trigger adds each entry's amount to its account in the statement that writes the entry,
// so the two commit together, whoever writes (the ORM, the dispatcher's SQL, a hand-made fix).
// Debits already take the account's advisory lock before they check the balance; the trigger's
// UPDATE adds a row lock on the account until commit, which a refund waits for (no cycle: a
// transaction that holds the account row takes no lock an entry writer waits for). A balance of
// the ORM is read-only (a formula): nothing but this trigger writes it. An hourly job compares it
// with the sum (accounts/credits.queries.ts, reconcileBalancesOn).
export class Migration20261207000000AccountCreditBalance extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "account" add column "credit_balance_micros" bigint not null default 0;`);
    // No entry may be written between the backfill and the trigger (migrations run in one transaction).
    this.addSql(`lock table "credit_transaction" in share mode;`);
    this.addSql(`update "account" a set "credit_balance_micros" = t.balance
      from (select account_id, sum(amount_micros) as balance from credit_transaction group by account_id) t where t.account_id = a.id;`);
    this.addSql(`create function credit_balance_keep() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    update account set credit_balance_micros = 0 where credit_balance_micros <> 0;
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    update account set credit_balance_micros = credit_balance_micros - old.amount_micros where id = old.account_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    update account set credit_balance_micros = credit_balance_micros + new.amount_micros where id = new.account_id;
  end if;
  return null;
end $$;`);
    this.addSql(`create trigger credit_balance_keep after insert or delete or update of amount_micros, account_id on credit_transaction
      for each row execute function credit_balance_keep();`);
    this.addSql(`create trigger credit_balance_keep_truncate after truncate on credit_transaction for each statement execute function credit_balance_keep();`);
  }
}
