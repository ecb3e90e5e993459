import { Migration } from '@mikro-orm/migrations';

// The credit ledger (its sum is the balance) and prices per SMS part and country.
export class Migration20261127000500Credits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "credit_transaction" ("id" bigserial primary key, "account_id" uuid not null, "kind" text check ("kind" in ('topup', 'debit', 'refund', 'adjustment')) not null, "amount_micros" bigint not null, "note" varchar(300) null, "campaign_id" uuid null, "actor" varchar(300) not null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "credit_transaction_account_created_index" on "credit_transaction" ("account_id", "created_at");`);
    this.addSql(`alter table "credit_transaction" add constraint "credit_transaction_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "price" ("id" uuid not null, "account_id" uuid not null, "country" varchar(2) null, "part_price_micros" bigint not null, "updated_at" timestamptz not null, constraint "price_pkey" primary key ("id"));`);
    this.addSql(`create unique index "price_account_country_unique" on "price" ("account_id", coalesce("country", ''));`);
    this.addSql(`alter table "price" add constraint "price_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
  }
}
