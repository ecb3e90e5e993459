import { Migration } from '@mikro-orm/migrations';

// An undelivered or failed message records how it bounced (hard, soft or unknown), classified by
// its gateway kind from the delivery report, for the campaign report's split of undelivered.
export class Migration20261205000000MessageBounce extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "message" add column "bounce" text check ("bounce" in ('hard', 'soft', 'unknown')) null;`);
  }
}
