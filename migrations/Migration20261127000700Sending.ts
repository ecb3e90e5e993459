import { Migration } from '@mikro-orm/migrations';

// The sending engine: the message outbox and record, delivery reports (message_event), tracked
// links and clicks, the simulator gateway's store, quiet hours per account, the gateways' rate
// clock and rejected-request count, and the campaign's gateway, problem and end time.
export class Migration20261127000700Sending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "message_event" ("id" bigserial primary key, "account_id" uuid not null, "gateway_id" uuid not null, "message_id" bigint not null, "status" varchar(20) not null, "error_code" varchar(50) null, "raw" jsonb not null, "received_at" timestamptz not null default now());`);
    this.addSql(`create index "message_event_account_message_index" on "message_event" ("account_id", "message_id");`);
    this.addSql(`create table "message" ("id" bigserial primary key, "account_id" uuid not null, "campaign_id" uuid not null, "contact_id" bigint null, "phone" varchar(16) not null, "country" varchar(2) null, "status" text check ("status" in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped', 'unknown')) not null default 'queued', "skip_reason" text check ("skip_reason" in ('opted_out', 'opted_out_of_number', 'bad_number', 'duplicate', 'cancelled', 'erased')) null, "is_test" boolean not null default false, "body" text null, "encoding" varchar(5) null, "parts" smallint null, "price_micros" bigint null, "cost_micros" bigint null, "gateway_id" uuid null, "gateway_message_id" varchar(100) null, "token" varchar(12) null, "attempts" smallint not null default 0, "not_before" timestamptz not null default now(), "waiting" text check ("waiting" in ('quiet_hours', 'retry')) null, "error_code" varchar(50) null, "claimed_at" timestamptz null, "created_at" timestamptz not null default now(), "sent_at" timestamptz null, "reported_at" timestamptz null, "unsubscribed_at" timestamptz null);`);
    this.addSql(`create unique index "message_campaign_contact_unique" on "message" ("account_id", "campaign_id", "contact_id") where not "is_test";`);
    this.addSql(`create index "message_queue_index" on "message" ("account_id", "campaign_id", "status", "not_before") where "status" in ('queued', 'sending');`);
    this.addSql(`create unique index "message_gateway_message_unique" on "message" ("account_id", "gateway_id", "gateway_message_id") where "gateway_message_id" is not null;`);
    this.addSql(`create unique index "message_token_unique" on "message" ("token") where "token" is not null;`);
    this.addSql(`create table "link" ("id" bigserial primary key, "account_id" uuid not null, "campaign_id" uuid not null, "position" smallint not null, "url" text not null);`);
    this.addSql(`alter table "link" add constraint "link_campaign_position_unique" unique ("account_id", "campaign_id", "position");`);
    this.addSql(`create table "click" ("id" bigserial primary key, "account_id" uuid not null, "link_id" bigint not null, "message_id" bigint not null, "at" timestamptz not null default now());`);
    this.addSql(`create index "click_account_link_index" on "click" ("account_id", "link_id");`);
    this.addSql(`create table "simulator_message" ("id" uuid not null, "account_id" uuid not null, "gateway_id" uuid not null, "client_ref" varchar(64) not null, "phone" varchar(16) not null, "sender" varchar(16) not null, "body" text not null, "parts" smallint not null, "accepted_at" timestamptz not null default now(), "report_status" varchar(20) not null, "error_code" varchar(50) null, "report_at" timestamptz null, "report_attempts" smallint not null default 0, constraint "simulator_message_pkey" primary key ("id"));`);
    this.addSql(`create index "simulator_message_report_index" on "simulator_message" ("report_at") where "report_at" is not null;`);
    this.addSql(`alter table "simulator_message" add constraint "simulator_message_client_ref_unique" unique ("gateway_id", "client_ref");`);
    this.addSql(`alter table "message_event" add constraint "message_event_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message" add constraint "message_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "simulator_message" add constraint "simulator_message_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "link" add constraint "link_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "link" add constraint "link_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "click" add constraint "click_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "click" add constraint "click_link_id_foreign" foreign key ("link_id") references "link" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "account" add column "quiet_hours" boolean not null default true, add column "quiet_hour_rules" jsonb null;`);
    this.addSql(`alter table "gateway" add column "rate_clock" timestamptz null, add column "rejected_requests" int not null default 0;`);
    this.addSql(`alter table "campaign" add column "gateway_id" uuid null, add column "problem" varchar(300) null, add column "finished_at" timestamptz null;`);
    this.addSql(`alter table "campaign" add constraint "campaign_gateway_id_foreign" foreign key ("gateway_id") references "gateway" ("id") on update cascade on delete set null;`);
  }
}
