import { Migration } from '@mikro-orm/migrations';

// An automation campaign's messages (one per run) are outside the unique (account, campaign,
// contact) index of a batch campaign's: their own partial index serves the campaign's figures,
// its newest messages and the re-send of those skipped for insufficient credit.
export class Migration20261204000100AutomationMessages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "message_automation_campaign_index" on "message" ("account_id", "campaign_id", "id") where "run_id" is not null;`);
  }
}
