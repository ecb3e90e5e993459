import { Migration } from '@mikro-orm/migrations';

// An email the SMTP server accepted keeps the Message-ID it was given, shown on its outbox page,
// to find it in the provider's logs.
export class Migration20261204100000EmailSmtpMessageId extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "email_message" add column "smtp_message_id" varchar(300) null;`);
  }
}
