import { Migration } from '@mikro-orm/migrations';

// Inbound SMS (DESIGN.md "Data" and "Inbound"): inbound numbers with their keywords, every
// inbound message (unique per gateway message id), inbound events and their keywords (unique per
// number), external events and their triggers, opt-outs of one sender number, the campaign's
// inbound number, and replies in the outbox (a message without a campaign).
export class Migration20261202000300Inbound extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "external_event" ("id" uuid not null, "account_id" uuid not null, "name" varchar(200) not null, "source" text check ("source" in ('inbound', 'api')) not null default 'api', "created_at" timestamptz not null, constraint "external_event_pkey" primary key ("id"));`);
    this.addSql(`alter table "external_event" add constraint "external_event_account_name_unique" unique ("account_id", "name");`);
    this.addSql(`create table "event_trigger" ("id" bigserial primary key, "account_id" uuid not null, "event_id" uuid not null, "contact_id" bigint null, "data" jsonb not null default '{}', "at" timestamptz not null default now(), "processed_at" timestamptz null);`);
    this.addSql(`create index "event_trigger_account_event_index" on "event_trigger" ("account_id", "event_id", "at");`);
    this.addSql(`create table "inbound_number" ("id" uuid not null, "account_id" uuid not null, "number" varchar(16) not null, "country" varchar(2) null, "gateway_id" uuid not null, "opt_out_keywords" text[] not null default '{}', "opt_in_keywords" text[] not null default '{}', "help_keywords" text[] not null default '{}', "help_reply" varchar(480) not null, "opt_out_reply" varchar(480) not null, "opt_in_reply" varchar(480) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "inbound_number_pkey" primary key ("id"));`);
    this.addSql(`alter table "inbound_number" add constraint "inbound_number_account_number_unique" unique ("account_id", "number");`);
    this.addSql(`create table "inbound_message" ("id" bigserial primary key, "account_id" uuid not null, "gateway_id" uuid not null, "gateway_message_id" varchar(100) not null, "inbound_number_id" uuid null, "from_raw" varchar(40) not null, "phone" varchar(16) null, "to_number" varchar(40) not null, "body" text not null, "received_at" timestamptz not null, "created_at" timestamptz not null default now(), "status" text check ("status" in ('received', 'processed', 'failed', 'unroutable')) not null default 'received', "attempts" smallint not null default 0, "error" varchar(300) null, "claimed_at" timestamptz null, "processed_at" timestamptz null, "classification" text check ("classification" in ('opt_out', 'opt_in', 'help', 'event', 'email', 'inbox')) null, "keyword" varchar(30) null, "contact_id" bigint null, "event_id" uuid null, "captured_email" varchar(254) null, "in_inbox" boolean not null default false, "inbox_text" text null, "handled_at" timestamptz null, "handled_by" varchar(300) null);`);
    this.addSql(`create index "inbound_message_due_index" on "inbound_message" ("created_at") where "status" = 'received';`);
    this.addSql(`create index "inbound_message_account_received_index" on "inbound_message" ("account_id", "received_at");`);
    this.addSql(`create index "inbound_message_account_phone_index" on "inbound_message" ("account_id", "phone", "received_at");`);
    this.addSql(`alter table "inbound_message" add constraint "inbound_message_gateway_message_unique" unique ("account_id", "gateway_id", "gateway_message_id");`);
    this.addSql(`create table "inbound_event" ("id" uuid not null, "account_id" uuid not null, "inbound_number_id" uuid not null, "name" varchar(100) not null, "type" text check ("type" in ('inboundResponder', 'inboundJoinResponder', 'inboundEmailHandler', 'inboundInboxHandler', 'inboundUnsubscribeHandler')) not null, "keywords" text[] not null default '{}', "reply_text" varchar(480) null, "external_event_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "inbound_event_pkey" primary key ("id"));`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_number_name_unique" unique ("account_id", "inbound_number_id", "name");`);
    this.addSql(`create table "inbound_event_keyword" ("account_id" uuid not null, "inbound_number_id" uuid not null, "keyword" varchar(30) not null, "event_id" uuid not null, constraint "inbound_event_keyword_pkey" primary key ("account_id", "inbound_number_id", "keyword"));`);
    this.addSql(`create table "number_opt_out" ("account_id" uuid not null, "contact_id" bigint not null, "inbound_number_id" uuid not null, "keyword" varchar(30) not null, "at" timestamptz not null default now(), constraint "number_opt_out_pkey" primary key ("account_id", "contact_id", "inbound_number_id"));`);
    this.addSql(`alter table "external_event" add constraint "external_event_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "event_trigger" add constraint "event_trigger_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "event_trigger" add constraint "event_trigger_event_id_foreign" foreign key ("event_id") references "external_event" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_number" add constraint "inbound_number_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_number" add constraint "inbound_number_gateway_id_foreign" foreign key ("gateway_id") references "gateway" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "inbound_message" add constraint "inbound_message_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_message" add constraint "inbound_message_inbound_number_id_foreign" foreign key ("inbound_number_id") references "inbound_number" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_inbound_number_id_foreign" foreign key ("inbound_number_id") references "inbound_number" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_event" add constraint "inbound_event_external_event_id_foreign" foreign key ("external_event_id") references "external_event" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "inbound_event_keyword" add constraint "inbound_event_keyword_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "inbound_event_keyword" add constraint "inbound_event_keyword_event_id_foreign" foreign key ("event_id") references "inbound_event" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "number_opt_out" add constraint "number_opt_out_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "number_opt_out" add constraint "number_opt_out_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "campaign" add column "inbound_number_id" uuid null;`);
    this.addSql(`alter table "campaign" add constraint "campaign_inbound_number_id_foreign" foreign key ("inbound_number_id") references "inbound_number" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "message" add column "reply_to_id" bigint null, add column "is_confirmation" boolean not null default false;`);
    this.addSql(`alter table "message" alter column "campaign_id" drop not null;`);
    this.addSql(`create index "message_reply_queue_index" on "message" ("account_id", "not_before") where "campaign_id" is null and "status" in ('queued', 'sending');`);
    this.addSql(`alter table "inbound_event_keyword" add constraint "inbound_event_keyword_inbound_number_id_foreign" foreign key ("inbound_number_id") references "inbound_number" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "number_opt_out" add constraint "number_opt_out_inbound_number_id_foreign" foreign key ("inbound_number_id") references "inbound_number" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "inbound_number_gateway_index" on "inbound_number" ("gateway_id");`);
  }
}
