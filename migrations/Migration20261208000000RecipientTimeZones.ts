import { Migration } from '@mikro-orm/migrations';

// Send windows in each recipient's own time zone (issue 16).
// - contact.time_zone: the zone the contact's send window is read in; null = not known from the
//   number (several zones or none), so the window open across all of its country's zones applies.
// - contact.time_zone_source: 'number' (derived from the phone when it was written), 'set' (a user
//   chose it: never overwritten by a derivation), or null: written before zones existed and not yet
//   reached by the backfill job (contacts/time-zone-backfill.ts), which the partial index finds.
// - message.time_zone: the recipient's zone copied at launch, as its phone and country are, so the
//   dispatcher reads it without a join and a later edit does not move a message already waiting.
export class Migration20261208000000RecipientTimeZones extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "contact" add column "time_zone" varchar(64) null, add column "time_zone_source" varchar(8) null;`);
    this.addSql(`create index "contact_time_zone_pending_index" on "contact" ("account_id", "id") where "time_zone_source" is null;`);
    this.addSql(`alter table "message" add column "time_zone" varchar(64) null;`);
    // The campaign page says which zones its waiting messages wait for, and until when: an
    // index-only scan of just the waiting ones (a few per deferral, gone once they leave).
    this.addSql(`create index "message_waiting_index" on "message" ("account_id", "campaign_id", "not_before") include ("time_zone", "country") where "status" = 'queued' and "waiting" = 'quiet_hours';`);
  }
}
