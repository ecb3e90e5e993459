import { Migration } from '@mikro-orm/migrations';

// Campaign ids are made by the server only: the step-1 form's token, which makes a double submit
// find the campaign it created, is kept in its own column, unique per account, so a token equal to
// another account's campaign id is just an unknown token.
export class Migration20261202000100CampaignFormToken extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "campaign" add column "form_token" uuid null;`);
    this.addSql(`alter table "campaign" add constraint "campaign_account_form_token_unique" unique ("account_id", "form_token");`);
  }
}
