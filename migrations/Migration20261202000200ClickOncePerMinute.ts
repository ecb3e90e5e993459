import { Migration } from '@mikro-orm/migrations';

// A click counts once per message, link and minute: the index that counts a link's clicks also
// finds a message's last click on it.
export class Migration20261202000200ClickOncePerMinute extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "click_account_link_message_index" on "click" ("account_id", "link_id", "message_id", "at");`);
    this.addSql(`drop index "click_account_link_index";`);
  }
}
