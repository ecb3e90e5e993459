import { Migration } from '@mikro-orm/migrations';

// The Inbound SMS tab's lists (inbound/inbound-lists.queries.ts):
// - the STOP list and the SMS inbox page newest first by (received_at, id), each on a partial
//   index holding only its own rows, so a page stays a short index scan however many other
//   messages (events, HELP, START...) arrive;
// - "the latest campaign sent before the reply" is one index probe per row: the campaign messages
//   of a phone by sent time. Partial on sent messages, so a launch's million queued rows are not
//   written to it (they enter when the dispatcher sends them).
export class Migration20261202000400InboundReports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "inbound_message_stop_list_index" on "inbound_message" ("account_id", "received_at", "id") where "classification" = 'opt_out';`);
    this.addSql(`create index "inbound_message_inbox_index" on "inbound_message" ("account_id", "received_at", "id") where "in_inbox" or "status" in ('unroutable', 'failed');`);
    this.addSql(`create index "message_campaign_phone_sent_index" on "message" ("account_id", "phone", "sent_at") where "campaign_id" is not null and "sent_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "message_campaign_phone_sent_index";`);
    this.addSql(`drop index "inbound_message_inbox_index";`);
    this.addSql(`drop index "inbound_message_stop_list_index";`);
  }
}
