import { Migration } from '@mikro-orm/migrations';

// Campaigns no longer have a `launching` status: nothing ever moved a campaign into it (a launch
// goes from scheduled to sending in one transaction), so the status machine drops it.
export class Migration20261201000000NoLaunchingStatus extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "campaign" set "status" = 'scheduled' where "status" = 'launching';`);
    this.addSql(`alter table "campaign" drop constraint if exists "campaign_status_check";`);
    this.addSql(`alter table "campaign" add constraint "campaign_status_check" check ("status" in ('draft', 'scheduled', 'sending', 'sent', 'paused', 'cancelled'));`);
  }
}
