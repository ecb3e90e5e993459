import { Migration } from '@mikro-orm/migrations';

// The automation runner looks for triggers not yet acted on every half second: a partial index
// keeps that a look at the few new ones, not a scan of every trigger ever kept.
export class Migration20261204200000UnprocessedTriggers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "event_trigger_unprocessed_index" on "event_trigger" ("id") where "processed_at" is null;`);
  }
}
