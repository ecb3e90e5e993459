import { Migration } from '@mikro-orm/migrations';

// A gateway that keeps failing is paused: its consecutive transport failures, when it was paused
// and why; and an owner may disable a gateway (not used, cannot be the default).
export class Migration20261206000000GatewayHealth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "gateway" add column "consecutive_failures" int not null default 0, add column "paused_at" timestamptz null, add column "problem" text null, add column "disabled" boolean not null default false;`);
  }
}
