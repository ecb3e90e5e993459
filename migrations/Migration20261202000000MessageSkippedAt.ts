import { Migration } from '@mikro-orm/migrations';

// A message skipped after launch (its contact opted out while the campaign was sending) records
// when: the dispatcher checks the contact's opt-in as it claims each message.
export class Migration20261202000000MessageSkippedAt extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "message" add column "skipped_at" timestamptz null;`);
  }
}
