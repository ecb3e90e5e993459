// Segment size and first page over a million contacts.
//
// `npm run bench -- segment [--contacts 1000000] [--runs 7] [--explain]`
//
// A PostgreSQL of its own (the embedded server in .bench-data on port 5545, or DATABASE_URL's
// server when set) with a fresh, migrated database; one account seeded with the demo contacts of
// `seed-demo` (the same function, not the CLI process), then VACUUM ANALYZE, as autovacuum leaves
// a table that has settled. Two segments of three conditions, as a marketer would build them:
// - the measured one: country is France AND opted in to SMS AND created in the last 90 days
//   (served by the covering index contact_account_country_segment_index: an index-only scan);
// - with a custom field: country is France AND opted in AND `points` > 2500, saved as a segment
//   first, so it has the field's index (built as the contact-field-indexes job builds it, timed),
//   and its count reads from the table only the contacts that the index finds.
// Timed through the functions the pages use (countSegment, segmentPage with a page of 50): rules
// checked against the account, compiled, run. One untimed warm-up, then the median of `runs`.
// Targets: every figure under 150 ms (stderr says which are over). --explain prints the plan of
// each count (EXPLAIN ANALYZE, BUFFERS) on stderr.
// The last line is `BENCH segment contacts=<n> count_ms=<median> page_ms=<median> matched=<n>
// custom_count_ms=<median> custom_page_ms=<median> seed_s=<seconds>`.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openBenchDatabase } from './database.js';
import { withAccount } from '../src/db/tenant.js';
import { seedDemoContacts } from '../src/db/demo-seed.js';
import { createAccount } from '../src/modules/accounts/accounts.service.js';
import { Segment } from '../src/modules/contacts/segment.entity.js';
import { syncFieldIndexes } from '../src/modules/contacts/field-indexes.queries.js';
import { compileSegment, countSegment, segmentPage } from '../src/modules/contacts/segment.queries.js';
import type { SegmentRules } from '../src/modules/contacts/segment-rules.js';
import { positiveInteger } from './args.js';

const PAGE_SIZE = 50;
const TARGET_MS = 150;

export const BENCH_RULES: SegmentRules = {
  combinator: 'and',
  conditions: [
    { field: 'country', operator: 'equals', value: 'FR' },
    { field: 'sms_opt_in', operator: 'is_true' },
    { field: 'created_at', operator: 'in_last_days', value: '90' },
  ],
};

export const CUSTOM_FIELD_RULES: SegmentRules = {
  combinator: 'and',
  conditions: [
    { field: 'country', operator: 'equals', value: 'FR' },
    { field: 'sms_opt_in', operator: 'is_true' },
    { field: 'field:points', operator: 'greater_than', value: '2500' },
  ],
};

function log(line: string) {
  process.stderr.write(`bench segment: ${line}\n`);
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed<T>(label: string, runs: number, fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let result = await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    result = await fn();
    times.push(performance.now() - started);
  }
  log(`${label}: ${times.map((t) => t.toFixed(1)).join(' ')} ms (median ${median(times).toFixed(1)})`);
  return { ms: median(times), result };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { contacts: { type: 'string' }, runs: { type: 'string' }, explain: { type: 'boolean' } }, strict: true });
  const contacts = positiveInteger('contacts', values.contacts, 1_000_000);
  const runs = positiveInteger('runs', values.runs, 7);

  const db = await openBenchDatabase(log);
  const orm = db.orm;
  const dbUrl = db.url;
  try {
    const em = orm.em.fork();
    const account = createAccount(em, { name: 'Bench', timeZone: 'Europe/Paris' });
    await em.flush();

    log(`seeding ${contacts} contacts`);
    const seeded = await withPg(dbUrl, (client) =>
      seedDemoContacts(client, { accountId: account.id, contacts, onProgress: (done, total) => log(`seeded ${done} of ${total}`) }),
    );
    log(`seeded ${seeded.created} contacts in ${(seeded.ms / 1000).toFixed(1)} s`);
    const vacuumStarted = Date.now();
    await withPg(dbUrl, (client) => client.query('vacuum analyze contact, contact_list_member, custom_field'));
    log(`vacuum analyze in ${((Date.now() - vacuumStarted) / 1000).toFixed(1)} s`);

    const scoped = withAccount(orm.em, account.id);
    const measure = async (label: string, rules: SegmentRules) => {
      const count = await timed(`${label}: count`, runs, () => countSegment(scoped, account.id, rules));
      const page = await timed(`${label}: first page of ${PAGE_SIZE}`, runs, () => segmentPage(scoped, account.id, rules, { limit: PAGE_SIZE }));
      if (page.result.contacts.length !== Math.min(PAGE_SIZE, count.result)) throw new Error(`${label}: the first page has ${page.result.contacts.length} contacts for a segment of ${count.result}`);
      log(`${label}: ${count.result} contacts match`);
      if (values.explain) {
        const compiled = await compileSegment(scoped, account.id, rules);
        const plan = await withPg(dbUrl, (client) => client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) select count(*) from contact c where ${compiled.sql}`, compiled.params));
        log(`${label}: plan of the count\n${plan.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
      }
      return { count, page };
    };
    const main = await measure('FR, opted in, created in the last 90 days', BENCH_RULES);
    scoped.create(Segment, { account: account.id, name: 'Points', rules: CUSTOM_FIELD_RULES });
    await scoped.flush();
    const indexStarted = Date.now();
    const { built } = await syncFieldIndexes(orm);
    log(`field index ${built.join(', ')} built in ${((Date.now() - indexStarted) / 1000).toFixed(1)} s`);
    const custom = await measure('FR, opted in, points > 2500', CUSTOM_FIELD_RULES);
    const over = Object.entries({ count_ms: main.count.ms, page_ms: main.page.ms, custom_count_ms: custom.count.ms, custom_page_ms: custom.page.ms })
      .filter(([, ms]) => ms >= TARGET_MS)
      .map(([key]) => key);
    log(over.length ? `OVER the ${TARGET_MS} ms target: ${over.join(', ')}` : `every figure within the ${TARGET_MS} ms target`);

    process.stdout.write(
      `BENCH segment contacts=${seeded.created} count_ms=${main.count.ms.toFixed(1)} page_ms=${main.page.ms.toFixed(1)} matched=${main.count.result} ` +
        `custom_count_ms=${custom.count.ms.toFixed(1)} custom_page_ms=${custom.page.ms.toFixed(1)} seed_s=${(seeded.ms / 1000).toFixed(1)}\n`,
    );
  } finally {
    await db.close();
  }
}
