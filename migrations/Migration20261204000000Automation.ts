import { Migration } from '@mikro-orm/migrations';

// Automation (issue 12): email templates and the email outbox, programs with ordered steps, a
// stored run per contact with the path it took; a message queued by a run carries the run and the
// event's data, and may reach the same contact again in a later run of the same campaign. A
// message can be skipped for insufficient credit (an automation campaign keeps running).
export class Migration20261204000000Automation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "email_template" ("id" uuid not null, "account_id" uuid not null, "name" varchar(200) not null, "subject" varchar(300) not null, "text_body" text not null, "html_body" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "email_template_pkey" primary key ("id"));`);
    this.addSql(`alter table "email_template" add constraint "email_template_account_name_unique" unique ("account_id", "name");`);
    this.addSql(`create table "email_message" ("id" bigserial primary key, "account_id" uuid not null, "template_id" uuid null, "contact_id" bigint null, "run_id" bigint null, "to_address" varchar(254) null, "subject" varchar(300) not null, "text_body" text not null, "html_body" text null, "status" text check ("status" in ('queued', 'sending', 'sent', 'stored', 'failed', 'skipped')) not null default 'queued', "skip_reason" varchar(100) null, "error" varchar(500) null, "attempts" smallint not null default 0, "not_before" timestamptz not null default now(), "claimed_at" timestamptz null, "created_at" timestamptz not null default now(), "sent_at" timestamptz null);`);
    this.addSql(`create index "email_message_queue_index" on "email_message" ("not_before") where "status" in ('queued', 'sending');`);
    this.addSql(`create index "email_message_account_index" on "email_message" ("account_id", "id");`);
    this.addSql(`create table "automation_program" ("id" uuid not null, "account_id" uuid not null, "name" varchar(200) not null, "event_id" uuid not null, "status" text check ("status" in ('draft', 'active', 'paused')) not null default 'draft', "reentry_minutes" int not null default 1440, "activated_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "automation_program_pkey" primary key ("id"));`);
    this.addSql(`create index "automation_program_account_event_index" on "automation_program" ("account_id", "event_id", "status");`);
    this.addSql(`alter table "automation_program" add constraint "automation_program_account_name_unique" unique ("account_id", "name");`);
    this.addSql(`create table "automation_step" ("id" uuid not null, "account_id" uuid not null, "program_id" uuid not null, "position" smallint not null, "kind" text check ("kind" in ('send_sms', 'send_email', 'wait', 'add_to_list', 'update_field')) not null, "enabled" boolean not null default true, "campaign_id" uuid null, "email_template_id" uuid null, "list_id" uuid null, "wait_seconds" int null, "wait_until" varchar(5) null, "field_key" varchar(100) null, "field_value" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "automation_step_pkey" primary key ("id"));`);
    this.addSql(`create index "automation_step_program_position_index" on "automation_step" ("account_id", "program_id", "position");`);
    this.addSql(`create table "automation_run" ("id" bigserial primary key, "account_id" uuid not null, "program_id" uuid not null, "contact_id" bigint not null, "trigger_id" bigint null, "event_data" jsonb not null default '{}', "status" text check ("status" in ('running', 'completed', 'failed', 'stopped')) not null default 'running', "step_id" uuid null, "position" smallint not null default 0, "due_at" timestamptz not null default now(), "claimed_at" timestamptz null, "attempts" smallint not null default 0, "last_error" varchar(300) null, "entered_at" timestamptz not null default now(), "finished_at" timestamptz null);`);
    this.addSql(`create index "automation_run_due_index" on "automation_run" ("due_at") where "status" = 'running';`);
    this.addSql(`create index "automation_run_program_contact_index" on "automation_run" ("account_id", "program_id", "contact_id", "entered_at");`);
    this.addSql(`create index "automation_run_program_index" on "automation_run" ("account_id", "program_id", "id");`);
    this.addSql(`create table "automation_run_step" ("id" bigserial primary key, "account_id" uuid not null, "run_id" bigint not null, "step_id" uuid null, "kind" text check ("kind" in ('send_sms', 'send_email', 'wait', 'add_to_list', 'update_field')) not null, "outcome" text check ("outcome" in ('passed', 'failed', 'skipped')) not null, "detail" varchar(300) null, "at" timestamptz not null default now());`);
    this.addSql(`create index "automation_run_step_run_index" on "automation_run_step" ("account_id", "run_id", "id");`);
    this.addSql(`create index "automation_run_step_step_index" on "automation_run_step" ("account_id", "step_id", "outcome");`);
    this.addSql(`alter table "email_template" add constraint "email_template_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "email_message" add constraint "email_message_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "email_message" add constraint "email_message_template_id_foreign" foreign key ("template_id") references "email_template" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "automation_program" add constraint "automation_program_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_program" add constraint "automation_program_event_id_foreign" foreign key ("event_id") references "external_event" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "automation_step" add constraint "automation_step_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_step" add constraint "automation_step_program_id_foreign" foreign key ("program_id") references "automation_program" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_step" add constraint "automation_step_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "automation_step" add constraint "automation_step_email_template_id_foreign" foreign key ("email_template_id") references "email_template" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "automation_step" add constraint "automation_step_list_id_foreign" foreign key ("list_id") references "contact_list" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "automation_run" add constraint "automation_run_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_run" add constraint "automation_run_program_id_foreign" foreign key ("program_id") references "automation_program" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_run" add constraint "automation_run_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_run" add constraint "automation_run_step_id_foreign" foreign key ("step_id") references "automation_step" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "automation_run_step" add constraint "automation_run_step_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_run_step" add constraint "automation_run_step_run_id_foreign" foreign key ("run_id") references "automation_run" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "automation_run_step" add constraint "automation_run_step_step_id_foreign" foreign key ("step_id") references "automation_step" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "message" drop constraint if exists "message_skip_reason_check";`);
    this.addSql(`alter table "message" add column "run_id" bigint null, add column "event_data" jsonb null;`);
    this.addSql(`alter table "message" add constraint "message_skip_reason_check" check("skip_reason" in ('opted_out', 'opted_out_of_number', 'bad_number', 'duplicate', 'cancelled', 'erased', 'insufficient_credit'));`);
    this.addSql(`drop index "message_campaign_contact_unique";`);
    this.addSql(`create unique index "message_campaign_contact_unique" on "message" ("account_id", "campaign_id", "contact_id") where not "is_test" and "run_id" is null;`);
  }
}
