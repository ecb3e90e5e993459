import { Migration } from '@mikro-orm/migrations';

// A launched campaign wrote its recipients into `message` at launch and never reads its segment or
// list again, so it no longer keeps one from being deleted: its reference is set to null. A
// campaign still to launch (draft, scheduled) keeps its source: the check refuses the null, so
// the database still has the last word there (the pages say why before it comes to that).
export class Migration20261203000000LaunchedCampaignsReleaseRecipients extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "campaign" drop constraint "campaign_segment_id_foreign";`);
    this.addSql(`alter table "campaign" add constraint "campaign_segment_id_foreign" foreign key ("segment_id") references "segment" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "campaign" drop constraint "campaign_list_id_foreign";`);
    this.addSql(`alter table "campaign" add constraint "campaign_list_id_foreign" foreign key ("list_id") references "contact_list" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "campaign" add constraint "campaign_unlaunched_keeps_recipients" check ("status" not in ('draft', 'scheduled') or (("recipient_source" is distinct from 'segment' or "segment_id" is not null) and ("recipient_source" is distinct from 'list' or "list_id" is not null)));`);
  }
}
