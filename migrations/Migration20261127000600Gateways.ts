import { Migration } from '@mikro-orm/migrations';

// Gateways (simulator, kannel, twilio, generic); every existing account gets the simulator.
export class Migration20261127000600Gateways extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway" ("id" uuid not null, "account_id" uuid not null, "kind" text check ("kind" in ('simulator', 'kannel', 'twilio', 'generic')) not null, "name" varchar(100) not null, "config" jsonb not null default '{}', "messages_per_second" int not null default 50, "is_default" boolean not null default false, "secret" varchar(64) not null, "created_at" timestamptz not null, constraint "gateway_pkey" primary key ("id"));`);
    this.addSql(`create index "gateway_account_index" on "gateway" ("account_id");`);
    this.addSql(`alter table "gateway" add constraint "gateway_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`insert into "gateway" ("id", "account_id", "kind", "name", "config", "messages_per_second", "is_default", "secret", "created_at")
      select gen_random_uuid(), a.id, 'simulator', 'Simulator', '{"delay_ms": "2000", "failure_rate": "0.02", "soft_bounce_rate": "0.01"}', 50, true,
             replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), now() from "account" a;`);
  }
}
