import { Migration } from '@mikro-orm/migrations';

// Contacts, custom fields, contact lists and members, segments, consent history, suppression.
export class Migration20261127000100Contacts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "account" add column "default_country" varchar(2) null;`);
    this.addSql(`create table "contact" ("id" bigserial primary key, "account_id" uuid not null, "phone" varchar(32) not null, "country" varchar(2) null, "email" varchar(254) null, "first_name" varchar(100) null, "last_name" varchar(100) null, "fields" jsonb not null default '{}', "sms_opt_in" boolean null, "opt_out_source" varchar(20) null, "opted_out_at" timestamptz null, "bad_number" boolean not null default false, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "contact" add constraint "contact_account_phone_unique" unique ("account_id", "phone");`);
    this.addSql(`create index "contact_account_id_id_index" on "contact" ("account_id", "id");`);
    this.addSql(`create index "contact_account_country_index" on "contact" ("account_id", "country");`);
    this.addSql(`create index "contact_account_email_index" on "contact" ("account_id", "email");`);
    this.addSql(`create index "contact_account_last_name_index" on "contact" ("account_id", lower("last_name"));`);
    this.addSql(`create index "contact_account_first_name_index" on "contact" ("account_id", lower("first_name"));`);
    this.addSql(`alter table "contact" add constraint "contact_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "custom_field" ("id" uuid not null, "account_id" uuid not null, "key" varchar(40) not null, "label" varchar(100) not null, "type" text check ("type" in ('text', 'number', 'date', 'boolean')) not null, "created_at" timestamptz not null, constraint "custom_field_pkey" primary key ("id"));`);
    this.addSql(`alter table "custom_field" add constraint "custom_field_account_key_unique" unique ("account_id", "key");`);
    this.addSql(`alter table "custom_field" add constraint "custom_field_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "contact_list" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "created_at" timestamptz not null, constraint "contact_list_pkey" primary key ("id"));`);
    this.addSql(`alter table "contact_list" add constraint "contact_list_account_name_unique" unique ("account_id", "name");`);
    this.addSql(`alter table "contact_list" add constraint "contact_list_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "contact_list_member" ("list_id" uuid not null, "contact_id" bigint not null, "account_id" uuid not null, "added_at" timestamptz not null default now(), constraint "contact_list_member_pkey" primary key ("list_id", "contact_id"));`);
    this.addSql(`create index "contact_list_member_account_contact_index" on "contact_list_member" ("account_id", "contact_id");`);
    this.addSql(`alter table "contact_list_member" add constraint "contact_list_member_list_id_foreign" foreign key ("list_id") references "contact_list" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_list_member" add constraint "contact_list_member_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "contact_list_member" add constraint "contact_list_member_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "segment" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "rules" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "segment_pkey" primary key ("id"));`);
    this.addSql(`alter table "segment" add constraint "segment_account_name_unique" unique ("account_id", "name");`);
    this.addSql(`alter table "segment" add constraint "segment_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "consent_event" ("id" bigserial primary key, "account_id" uuid not null, "contact_id" bigint null, "phone_hash" varchar(64) not null, "opted_in" boolean not null, "source" varchar(20) not null, "actor" varchar(300) not null, "at" timestamptz not null default now());`);
    this.addSql(`create index "consent_event_account_contact_index" on "consent_event" ("account_id", "contact_id");`);
    this.addSql(`alter table "consent_event" add constraint "consent_event_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "consent_event" add constraint "consent_event_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete set null;`);
    this.addSql(`create table "suppression" ("account_id" uuid not null, "phone_hash" varchar(64) not null, "source" varchar(20) not null, "created_at" timestamptz not null default now(), constraint "suppression_pkey" primary key ("account_id", "phone_hash"));`);
    this.addSql(`alter table "suppression" add constraint "suppression_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
  }
}
