import { Migration } from '@mikro-orm/migrations';

// Accounts, users, API keys, sessions and login attempts.
export class Migration20261127000000Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "account" ("id" uuid not null, "name" varchar(200) not null, "time_zone" varchar(64) not null default 'UTC', "currency" varchar(3) not null default 'EUR', "created_at" timestamptz not null, constraint "account_pkey" primary key ("id"));`);

    this.addSql(`create table "app_user" ("id" uuid not null, "account_id" uuid not null, "email" varchar(254) not null, "password_hash" varchar(200) not null, "role" text check ("role" in ('owner', 'marketer', 'viewer')) not null default 'marketer', "disabled_at" timestamptz null, "created_at" timestamptz not null, "last_login_at" timestamptz null, constraint "app_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`);
    this.addSql(`create index "app_user_account_id_index" on "app_user" ("account_id");`);
    this.addSql(`alter table "app_user" add constraint "app_user_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "api_key" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(16) not null, "key_hash" varchar(64) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_key" add constraint "api_key_key_hash_unique" unique ("key_hash");`);
    this.addSql(`create index "api_key_account_id_index" on "api_key" ("account_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "session" ("id" varchar(64) not null, "user_id" uuid not null, "account_id" uuid not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "ip" varchar(64) null, "user_agent" varchar(300) null, constraint "session_pkey" primary key ("id"));`);
    this.addSql(`create index "session_user_id_index" on "session" ("user_id");`);
    this.addSql(`create index "session_last_seen_at_index" on "session" ("last_seen_at");`);
    this.addSql(`alter table "session" add constraint "session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "session" add constraint "session_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);

    // Failed logins per email, for the per-email rate limit (shared by every web process).
    // Not an entity: written and counted by hand-written SQL in login-attempts.queries.ts.
    this.addSql(`create table "login_failure" ("email" varchar(254) not null, "failed_at" timestamptz not null default now());`);
    this.addSql(`create index "login_failure_email_failed_at_index" on "login_failure" ("email", "failed_at");`);
  }
}
