import { Migration } from '@mikro-orm/migrations';

// The rollups indexed by their whole non-null key, not only its first columns. Folding deletes the
// rows of each key it saw; the planner, which cannot estimate how many rows a key has, looks each
// one up by the index: on (account_id, campaign_id) alone that read all of a campaign's rows per
// key (a fold of 20,000 differences filtered 110 million rows, 40 s, holding the fold's lock).
// The readers' conditions (account and campaign, account and days) are prefixes of these.
export class Migration20261205000200RollupKeyIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "campaign_rollup_campaign_index";`);
    this.addSql(`create index "campaign_rollup_key_index" on "campaign_rollup" ("account_id", "campaign_id", "hour", "country", "status");`);
    this.addSql(`drop index "usage_daily_account_day_index";`);
    this.addSql(`create index "usage_daily_key_index" on "usage_daily" ("account_id", "day", "country", "kind");`);
  }
}
