import { Migration } from '@mikro-orm/migrations';

// A contact's page lists its messages, newest first: an index led by (account, contact) keeps
// that a short range scan however many messages the account has sent (erasure finds them too).
export class Migration20261203000100MessagesByContact extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "message_account_contact_index" on "message" ("account_id", "contact_id", "id") where "contact_id" is not null;`);
  }
}
