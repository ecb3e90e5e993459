import { Migration } from '@mikro-orm/migrations';

// The rollups behind the Dashboard and the campaign figures, so that no page groups the message
// table (ten million rows) to draw itself:
// - usage_daily: what left for the gateways per account, local day, country and kind (batch,
//   automated, transactional), with its parts, cost, and delivery outcomes; a message counts on
//   the local day it was sent. A message refused for good before it left (failed, refunded) never
//   counts, whatever day its refund came.
// - campaign_rollup: a campaign's messages per status, reason, country, program and local hour.
//
// Both are kept by statement-level triggers on message that add the difference each statement
// makes (its new rows less its old ones, grouped; a statement that changes nothing counted adds
// nothing). The differences are appended as unfolded rows, never updated in place: dispatchers
// and delivery reports in several processes never wait on, or deadlock over, one hot rollup row.
// A poller folds them into one row per key every few seconds, and readers sum whatever is there.
// A job reconciles recent days and campaigns against the messages.
//
// Local days and hours use the account's time zone at the time of writing; rollup_zone records
// the zone each account's rollups were built in, and a change of zone rebuilds them.

/** One message's contribution to usage_daily, from a set of message rows, signed. */
function usageRows(source: string, sign: 1 | -1): string {
  return `select m.account_id, (m.sent_at at time zone a.time_zone)::date as day, coalesce(m.country, '') as country,
      case when m.campaign_id is null or m.is_test then 'transactional' when m.run_id is not null then 'automated' else 'batch' end as kind,
      ${sign} as messages, ${sign} * coalesce(m.parts, 0) as parts, ${sign} * coalesce(m.cost_micros, 0) as cost_micros,
      ${sign} * (m.status = 'delivered')::int as delivered, ${sign} * (m.status in ('undelivered', 'failed'))::int as undelivered
    from ${source} m join account a on a.id = m.account_id
    where m.sent_at is not null`;
}

/** One message's contribution to campaign_rollup, signed. A message refused for good before it
 * left was refunded: its cost does not stand, and its status is `refused` (a `failed` one was
 * reported failed after it was sent). Rows of a campaign being deleted are left out (the
 * join finds no campaign): its rollup goes with it. */
function campaignRows(source: string, sign: 1 | -1): string {
  return `select m.account_id, m.campaign_id, m.program_id,
      date_trunc('hour', coalesce(m.sent_at, m.created_at) at time zone a.time_zone) as hour, coalesce(m.country, '') as country,
      case when m.status = 'failed' and m.sent_at is null then 'refused' else m.status end as status, m.skip_reason, m.waiting, m.bounce,
      ${sign} as messages, ${sign} * coalesce(m.parts, 0) as parts,
      ${sign} * case when m.status = 'failed' and m.sent_at is null then 0 else coalesce(m.cost_micros, 0) end as cost_micros,
      ${sign} * (m.unsubscribed_at is not null)::int as unsubscribes
    from ${source} m join account a on a.id = m.account_id join campaign c on c.account_id = m.account_id and c.id = m.campaign_id
    where not m.is_test`;
}

const USAGE_KEY = 'account_id, day, country, kind';
const USAGE_SUMS = 'sum(messages), sum(parts), sum(cost_micros), sum(delivered), sum(undelivered)';
const CAMPAIGN_KEY = 'account_id, campaign_id, program_id, hour, country, status, skip_reason, waiting, bounce';
const CAMPAIGN_SUMS = 'sum(messages), sum(parts), sum(cost_micros), sum(unsubscribes)';

/** The insert of a statement's difference: its rows grouped by key, the keys whose sums cancel out left out. */
function difference(table: string, key: string, sums: string, rows: (source: string, sign: 1 | -1) => string, sources: { old?: boolean; new?: boolean }): string {
  const parts = [sources.new ? rows('new_rows', 1) : null, sources.old ? rows('old_rows', -1) : null].filter(Boolean);
  const nonZero = sums.split(', ').map((sum) => `${sum} <> 0`).join(' or ');
  return `insert into ${table} (${key}, ${sums.replace(/sum\((\w+)\)/g, '$1')})
    select ${key}, ${sums} from (${parts.join(' union all ')}) d group by ${key} having ${nonZero};`;
}

function triggerFunction(name: string, table: string, key: string, sums: string, rows: (source: string, sign: 1 | -1) => string): string {
  return `create function ${name}() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    ${difference(table, key, sums, rows, { new: true })}
  elsif tg_op = 'UPDATE' then
    ${difference(table, key, sums, rows, { new: true, old: true })}
  else
    ${difference(table, key, sums, rows, { old: true })}
  end if;
  return null;
end $$;`;
}

function triggers(name: string): string[] {
  return [
    `create trigger ${name}_insert after insert on message referencing new table as new_rows for each statement execute function ${name}();`,
    `create trigger ${name}_update after update on message referencing old table as old_rows new table as new_rows for each statement execute function ${name}();`,
    `create trigger ${name}_delete after delete on message referencing old table as old_rows for each statement execute function ${name}();`,
  ];
}

export class Migration20261205000100Rollups extends Migration {
  override async up(): Promise<void> {
    // The bounce class of an undelivered message (its own migration adds it with its check; this
    // one only needs it to exist).
    this.addSql(`alter table "message" add column if not exists "bounce" text null;`);
    // The program that sent an automation campaign's message, kept on the message so that its
    // rollup key never depends on another table (a deleted run or program changes nothing).
    this.addSql(`alter table "message" add column "program_id" uuid null;`);
    this.addSql(`update "message" m set "program_id" = r."program_id" from "automation_run" r where r."account_id" = m."account_id" and r."id" = m."run_id";`);
    // Reconciling a day reads the account's messages sent that day.
    this.addSql(`create index "message_account_sent_index" on "message" ("account_id", "sent_at") where "sent_at" is not null;`);

    this.addSql(`create table "usage_daily" (
      "id" bigserial primary key, "account_id" uuid not null, "day" date not null, "country" varchar(2) not null,
      "kind" text not null check ("kind" in ('batch', 'automated', 'transactional')),
      "messages" bigint not null, "parts" bigint not null, "cost_micros" bigint not null, "delivered" bigint not null, "undelivered" bigint not null,
      "folded" boolean not null default false);`);
    this.addSql(`alter table "usage_daily" add constraint "usage_daily_account_id_foreign" foreign key ("account_id") references "account" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "usage_daily_account_day_index" on "usage_daily" ("account_id", "day");`);
    this.addSql(`create index "usage_daily_unfolded_index" on "usage_daily" ("id") where not "folded";`);

    this.addSql(`create table "campaign_rollup" (
      "id" bigserial primary key, "account_id" uuid not null, "campaign_id" uuid not null, "program_id" uuid null,
      "hour" timestamp not null, "country" varchar(2) not null, "status" text not null, "skip_reason" text null, "waiting" text null, "bounce" text null,
      "messages" bigint not null, "parts" bigint not null, "cost_micros" bigint not null, "unsubscribes" bigint not null,
      "folded" boolean not null default false);`);
    this.addSql(`alter table "campaign_rollup" add constraint "campaign_rollup_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on update cascade on delete cascade;`);
    this.addSql(`create index "campaign_rollup_campaign_index" on "campaign_rollup" ("account_id", "campaign_id");`);
    this.addSql(`create index "campaign_rollup_unfolded_index" on "campaign_rollup" ("id") where not "folded";`);

    this.addSql(`create table "rollup_zone" ("account_id" uuid primary key references "account" ("id") on update cascade on delete cascade, "time_zone" varchar(64) not null);`);

    this.addSql(triggerFunction('message_usage_rollup', 'usage_daily', USAGE_KEY, USAGE_SUMS, usageRows));
    this.addSql(triggerFunction('message_campaign_rollup', 'campaign_rollup', CAMPAIGN_KEY, CAMPAIGN_SUMS, campaignRows));
    for (const sql of [...triggers('message_usage_rollup'), ...triggers('message_campaign_rollup')]) this.addSql(sql);

    // What was sent before the rollups existed, folded from the start.
    this.addSql(`insert into usage_daily (${USAGE_KEY}, messages, parts, cost_micros, delivered, undelivered, folded)
      select ${USAGE_KEY}, ${USAGE_SUMS}, true from (${usageRows('message', 1)}) d group by ${USAGE_KEY};`);
    this.addSql(`insert into campaign_rollup (${CAMPAIGN_KEY}, messages, parts, cost_micros, unsubscribes, folded)
      select ${CAMPAIGN_KEY}, ${CAMPAIGN_SUMS}, true from (${campaignRows('message', 1)}) d group by ${CAMPAIGN_KEY};`);
    this.addSql(`insert into rollup_zone (account_id, time_zone) select id, time_zone from account;`);
  }
}
