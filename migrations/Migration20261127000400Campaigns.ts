import { Migration } from '@mikro-orm/migrations';

// SMS campaigns (the Create tab). A segment or list used by a campaign cannot be deleted
// (on delete no action): the campaign would lose its recipients silently.
export class Migration20261127000400Campaigns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "campaign" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "kind" text check ("kind" in ('batch', 'automation')) not null default 'batch', "status" text check ("status" in ('draft', 'scheduled', 'launching', 'sending', 'sent', 'paused', 'cancelled')) not null default 'draft', "sender" varchar(16) not null, "body" text not null, "track_links" boolean not null default true, "recipient_source" text check ("recipient_source" in ('segment', 'list', 'automation')) null, "segment_id" uuid null, "list_id" uuid null, "scheduled_at" timestamptz null, "estimated_recipients" int null, "estimated_parts" int null, "copied_from_id" uuid null, "created_by" varchar(300) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "launched_at" timestamptz null, "first_sent_at" timestamptz null, constraint "campaign_pkey" primary key ("id"));`);
    this.addSql(`create index "campaign_account_status_index" on "campaign" ("account_id", "status");`);
    this.addSql(`alter table "campaign" add constraint "campaign_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "campaign" add constraint "campaign_segment_id_foreign" foreign key ("segment_id") references "segment" ("id") on update cascade on delete no action;`);
    this.addSql(`alter table "campaign" add constraint "campaign_list_id_foreign" foreign key ("list_id") references "contact_list" ("id") on update cascade on delete no action;`);
    this.addSql(`alter table "campaign" add constraint "campaign_copied_from_id_foreign" foreign key ("copied_from_id") references "campaign" ("id") on update cascade on delete set null;`);
  }
}
