// Shared set-up of the sending benchmarks (launch, dispatch, dlr): a fresh database, an account
// whose default gateway is the simulator, credit and a default price that cover any run, quiet
// hours off (a benchmark run at night must not defer everything), N contacts written set-based,
// a list of them all and a segment of them all (country is France), and campaigns on either.
// Also two measuring aids: the peak RSS sampled every 100 ms, and a per-statement timer over
// node-postgres (the ORM's pool and the raw clients use the same `pg` module).
import pg from 'pg';
import { openBenchDatabase, type BenchDatabase } from './database.js';
import { withAccount } from '../src/db/tenant.js';
import { createAccount } from '../src/modules/accounts/accounts.service.js';
import { Campaign } from '../src/modules/campaigns/campaign.entity.js';
import { ContactList } from '../src/modules/contacts/contact-list.entity.js';
import { Segment } from '../src/modules/contacts/segment.entity.js';

export const PUBLIC_URL = 'https://sms.example.com';
/** A realistic marketing text: a placeholder with a fallback, a tracked link and the opt-out line. */
export const BENCH_BODY = 'Hello {{first_name|there}}, our spring sale starts today: -20% on everything at https://shop.example.com/spring Reply STOP to opt out';
/** 0.05 per part. */
export const PART_PRICE_MICROS = 50_000;
/** French mobile numbers +33 61 xx xx xx x: ten million of them. */
const PHONE_RANGE = 10_000_000;
const SEED_BATCH = 100_000;

export interface SendingFixture {
  db: BenchDatabase;
  accountId: string;
  gatewayId: string;
  secret: string;
  listId: string;
  segmentId: string;
  /** A connection of its own for the benchmark's SQL (seeding, checks, EXPLAIN). */
  sql: pg.Client;
  log: (line: string) => void;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** The ORM pool's size (the app's default is 10). */
  poolMax?: number;
  /** Simulator settings (delay_ms, failure_rate, soft_bounce_rate, reject_rate). */
  simulator?: Record<string, string>;
  messagesPerSecond?: number;
}

export async function openSendingFixture(log: (line: string) => void, options: FixtureOptions = {}): Promise<SendingFixture> {
  const db = await openBenchDatabase(log, options.poolMax);
  const sql = new pg.Client({ connectionString: db.url });
  try {
    await sql.connect();
    const em = db.orm.em.fork();
    const account = createAccount(em, { name: 'Bench', timeZone: 'Europe/Paris' });
    account.defaultCountry = 'FR';
    await em.flush();
    const scoped = withAccount(db.orm.em, account.id);
    const list = scoped.create(ContactList, { account: account.id, name: 'Everyone' });
    const segment = scoped.create(Segment, { account: account.id, name: 'France', rules: { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }] } });
    await scoped.flush();

    await sql.query('update account set quiet_hours = false where id = $1', [account.id]);
    // Credit for a hundred million parts at this price: no run is ever short.
    await sql.query(`insert into credit_transaction (account_id, kind, amount_micros, note, actor) values ($1, 'topup', $2, 'bench', 'bench')`, [account.id, 100_000_000 * PART_PRICE_MICROS]);
    await sql.query(`insert into price (id, account_id, country, part_price_micros, updated_at) values (gen_random_uuid(), $1, null, $2, now())`, [account.id, PART_PRICE_MICROS]);
    const simulator = { delay_ms: '3600000', failure_rate: '0', soft_bounce_rate: '0', ...options.simulator };
    const { rows } = await sql.query<{ id: string; secret: string }>(
      `update gateway set config = $2::jsonb, messages_per_second = $3 where account_id = $1 and is_default returning id, secret`,
      [account.id, JSON.stringify(simulator), options.messagesPerSecond ?? 10_000],
    );
    if (!rows[0]) throw new Error('the new account has no default gateway');
    return {
      db,
      accountId: account.id,
      gatewayId: rows[0].id,
      secret: rows[0].secret,
      listId: list.id,
      segmentId: segment.id,
      sql,
      log,
      close: async () => {
        await sql.end().catch(() => {});
        await db.close();
      },
    };
  } catch (error) {
    await sql.end().catch(() => {});
    await db.close();
    throw error;
  }
}

/** Writes `count` French contacts (every `optOutEvery`th opted out; 0 for none) in batches of
 * 100,000 INSERT … SELECT from generate_series, all in the list, then VACUUM ANALYZE. */
export async function seedContacts(fixture: SendingFixture, count: number, options: { optOutEvery?: number } = {}): Promise<{ seconds: number; optedOut: number }> {
  if (count > PHONE_RANGE) throw new Error(`at most ${PHONE_RANGE} contacts`);
  const every = options.optOutEvery ?? 20;
  const started = performance.now();
  const { sql, accountId, listId } = fixture;
  for (let from = 0; from < count; from += SEED_BATCH) {
    const to = Math.min(count, from + SEED_BATCH) - 1;
    await sql.query(
      `insert into contact (account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source, opted_out_at, created_at, updated_at)
       select $1, '+3361' || lpad(i::text, 7, '0'), 'FR', 'user' || i || '@example.com',
              (array['Camille','Léa','Manon','Chloé','Inès','Julie','Lucas','Hugo','Louis','Thomas','Nicolas','Bartholomew-Alexander'])[1 + i % 12],
              (array['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand'])[1 + i % 8],
              jsonb_build_object('tier', (array['bronze','silver','gold'])[1 + i % 3], 'points', i % 5000),
              case when $4 > 0 and i % $4 = 0 then false else true end,
              case when $4 > 0 and i % $4 = 0 then 'import' end,
              case when $4 > 0 and i % $4 = 0 then now() end,
              now() - make_interval(days => i % 365), now()
       from generate_series($2::int, $3::int) as i`,
      [accountId, from, to, every],
    );
    fixture.log(`seeded ${to + 1} of ${count} contacts`);
  }
  await sql.query(
    `insert into contact_list_member (list_id, contact_id, account_id) select $2, id, account_id from contact where account_id = $1 on conflict do nothing`,
    [accountId, listId],
  );
  await sql.query('vacuum analyze contact, contact_list_member');
  const seconds = (performance.now() - started) / 1000;
  fixture.log(`seeded ${count} contacts (and the list) in ${seconds.toFixed(1)} s`);
  return { seconds, optedOut: every > 0 ? Math.floor((count - 1) / every) + 1 : 0 };
}

/** A campaign on the list or the segment, scheduled for now (the wizard's "send now"). */
export async function scheduledCampaign(fixture: SendingFixture, options: { source?: 'list' | 'segment'; name?: string; body?: string } = {}): Promise<string> {
  const em = withAccount(fixture.db.orm.em, fixture.accountId);
  const source = options.source ?? 'list';
  const campaign = em.create(Campaign, {
    account: fixture.accountId,
    name: options.name ?? 'Spring sale',
    sender: 'Textcast',
    body: options.body ?? BENCH_BODY,
    recipientSource: source,
    list: source === 'list' ? fixture.listId : null,
    segment: source === 'segment' ? fixture.segmentId : null,
    createdBy: 'bench',
  });
  await em.flush();
  await fixture.sql.query(`update campaign set status = 'scheduled', scheduled_at = now() where account_id = $1 and id = $2`, [fixture.accountId, campaign.id]);
  return campaign.id;
}

/** Samples process.memoryUsage().rss every `ms`; stop() returns the peak in MB. */
export function sampleRss(ms = 100): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return Math.round(peak / (1024 * 1024));
    },
  };
}

interface StatementTime {
  calls: number;
  ms: number;
  max: number;
}

/** Times every node-postgres query of this process from call to result, by its statement's
 * first words (comments and whitespace folded). For profiling: report() gives a table. */
export function traceQueries(): { report(): string; stop(): void; total(): number } {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const times = new Map<string, StatementTime>();
  const label = (config: unknown): string => {
    const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '?');
    return text.replace(/\s+/g, ' ').trim().slice(0, 90);
  };
  const record = (key: string, started: number) => {
    const ms = performance.now() - started;
    const entry = times.get(key) ?? { calls: 0, ms: 0, max: 0 };
    entry.calls++;
    entry.ms += ms;
    entry.max = Math.max(entry.max, ms);
    times.set(key, entry);
  };
  proto.query = function (this: unknown, ...args: unknown[]) {
    const key = label(args[0]);
    const started = performance.now();
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...r: unknown[]) => void;
      args[last] = (...r: unknown[]) => {
        record(key, started);
        callback(...r);
      };
      return original.apply(this, args);
    }
    const cb = (args[0] as { callback?: unknown })?.callback;
    if (typeof cb === 'function') {
      (args[0] as { callback: unknown }).callback = (...r: unknown[]) => {
        record(key, started);
        (cb as (...x: unknown[]) => void)(...r);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args) as Promise<unknown> | undefined;
    if (result && typeof result.then === 'function') {
      return result.then(
        (value) => {
          record(key, started);
          return value;
        },
        (error) => {
          record(key, started);
          throw error;
        },
      );
    }
    return result;
  };
  return {
    report() {
      const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
      return rows
        .map(([key, t]) => `${(t.ms / 1000).toFixed(2).padStart(8)} s ${String(t.calls).padStart(7)}× avg ${(t.ms / t.calls).toFixed(2).padStart(8)} ms max ${t.max.toFixed(1).padStart(8)} ms  ${key}`)
        .join('\n');
    },
    total() {
      return [...times.values()].reduce((sum, t) => sum + t.ms, 0);
    },
    stop() {
      proto.query = original;
    },
  };
}
