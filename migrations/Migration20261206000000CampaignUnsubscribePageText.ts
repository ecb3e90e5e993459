import { Migration } from '@mikro-orm/migrations';

// A campaign's own words on its unsubscribe landing page (/u/<token>): one of the two things that
// may still change once its first message has left (the other is its name).
export class Migration20261206000000CampaignUnsubscribePageText extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "campaign" add column "unsubscribe_page_text" text null;`);
  }
}
