import { Migration } from '@mikro-orm/migrations';

// Segment sizes: most segments start with a country, and add opt-in, the bad-number flag or the
// creation date. With those columns carried in the (account_id, country) index, counting such a
// segment is an index-only scan (about 50 MB of index per million contacts instead of the whole
// table); the plain country index it replaces served only the lookup. Custom field values are not
// carried: a contact's `fields` can outgrow the size limit of an index entry.
export class Migration20261127000300SegmentIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "contact_account_country_segment_index" on "contact" ("account_id", "country") include ("sms_opt_in", "bad_number", "created_at");`);
    this.addSql(`drop index "contact_account_country_index";`);
  }
}
