// Demo contacts for demos and benchmarks (`npm run cli -- seed-demo --contacts N`, and the segment
// benchmark): N realistic contacts across eight countries, written by set-based SQL (INSERT ...
// SELECT from generate_series, in batches), so a million take seconds, not minutes.
//
// Each new contact takes its id from the contact sequence first, and its phone number is derived
// from that id by a bijection onto the country's mobile number ranges (id x a prime, modulo the
// size of the range), so numbers never repeat within a run or across runs; ON CONFLICT DO NOTHING
// only skips a number an earlier import happened to hold. Mobile ranges are ones libphonenumber-js
// "max" accepts as valid mobile numbers of the country (test/contacts/seed-demo.test.ts checks it).
// Also: created_at spread over the past year in id order, about 5 % opted out (with source, time
// and consent event), explicit opt-ins with their consent event, custom fields `tier` (text),
// `birthday` (date) and `points` (number) created when missing and filled, and three lists.
import type pg from 'pg';

interface CountrySpec {
  code: string;
  /** Share of the contacts, in percent (the shares add up to 100). */
  share: number;
  /** Number prefixes (country code and the start of a mobile range), each followed by `digits` digits. */
  prefixes: string[];
  digits: number;
  firstNames: string[];
  lastNames: string[];
}

const US_AREAS = ['212', '415', '312', '617', '206', '305', '512'];

export const DEMO_COUNTRIES: CountrySpec[] = [
  {
    code: 'FR', share: 28, digits: 7,
    prefixes: ['+3360', '+3361', '+3362', '+3364', '+3365', '+3366', '+3367', '+3368', '+3376', '+3377', '+3378'],
    firstNames: ['Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Julie', 'Sarah', 'Emma', 'Lucas', 'Hugo', 'Louis', 'Thomas', 'Nicolas', 'Julien', 'Antoine', 'Mathieu'],
    lastNames: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'Fournier'],
  },
  {
    code: 'DE', share: 16, digits: 8,
    prefixes: ['+49151', '+49152', '+49155', '+49157', '+49159'],
    firstNames: ['Anna', 'Lena', 'Lea', 'Hannah', 'Sophie', 'Marie', 'Laura', 'Julia', 'Lukas', 'Leon', 'Finn', 'Jonas', 'Paul', 'Felix', 'Maximilian', 'Tobias'],
    lastNames: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann'],
  },
  {
    code: 'GB', share: 14, digits: 7,
    prefixes: ['+44740', '+44741', '+44742', '+44743', '+44744', '+44746', '+44747', '+44748', '+44749', '+44794', '+44795', '+44796', '+44797', '+44798', '+44799'],
    firstNames: ['Olivia', 'Amelia', 'Isla', 'Ava', 'Emily', 'Grace', 'Jessica', 'Charlotte', 'Oliver', 'George', 'Harry', 'Jack', 'Charlie', 'James', 'William', 'Thomas'],
    lastNames: ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Johnson', 'Roberts', 'Walker', 'Wright', 'Thompson', 'Robinson', 'Hughes', "O'Brien"],
  },
  {
    code: 'ES', share: 10, digits: 8,
    prefixes: ['+346'],
    firstNames: ['Lucía', 'María', 'Paula', 'Martina', 'Sofía', 'Carmen', 'Elena', 'Laura', 'Hugo', 'Pablo', 'Alejandro', 'Daniel', 'Javier', 'Sergio', 'Carlos', 'Diego'],
    lastNames: ['García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Álvarez'],
  },
  {
    code: 'IT', share: 10, digits: 7,
    prefixes: ['+39320', '+39328', '+39333', '+39338', '+39340', '+39345', '+39347', '+39348', '+39349', '+39366', '+39380', '+39389', '+39391'],
    firstNames: ['Giulia', 'Sofia', 'Aurora', 'Alice', 'Ginevra', 'Francesca', 'Chiara', 'Martina', 'Leonardo', 'Francesco', 'Alessandro', 'Lorenzo', 'Matteo', 'Andrea', 'Marco', 'Luca'],
    lastNames: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Costa', 'Giordano'],
  },
  {
    code: 'NL', share: 6, digits: 7,
    prefixes: ['+3161', '+3162', '+3163', '+3164', '+3165', '+3168'],
    firstNames: ['Emma', 'Julia', 'Tess', 'Sophie', 'Anna', 'Sara', 'Noah', 'Sem', 'Daan', 'Lucas', 'Levi', 'Finn'],
    lastNames: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder'],
  },
  {
    code: 'BE', share: 4, digits: 7,
    prefixes: ['+3245', '+3246', '+3247', '+3248', '+3249'],
    firstNames: ['Olivia', 'Louise', 'Mila', 'Elena', 'Noor', 'Arthur', 'Jules', 'Louis', 'Adam', 'Victor'],
    lastNames: ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'Dubois'],
  },
  {
    code: 'US', share: 12, digits: 6,
    // Area code and the first digit of the exchange (2-9).
    prefixes: US_AREAS.flatMap((area) => ['2', '3', '4', '5', '6', '7', '8', '9'].map((d) => `+1${area}${d}`)),
    firstNames: ['Olivia', 'Emma', 'Charlotte', 'Amelia', 'Sophia', 'Mia', 'Harper', 'Evelyn', 'Liam', 'Noah', 'Oliver', 'James', 'Elijah', 'William', 'Henry', 'Michael'],
    lastNames: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Moore'],
  },
];

export const DEMO_FIELDS = [
  { key: 'tier', label: 'Tier', type: 'text' },
  { key: 'birthday', label: 'Birthday', type: 'date' },
  { key: 'points', label: 'Points', type: 'number' },
] as const;

export const DEMO_LISTS = ['VIP customers', 'Newsletter', 'Spring promotion'] as const;

/** An odd prime, so multiplying by it is a bijection modulo every range size (2^a 3^b 5^c 7^d ...). */
const SPREAD = 982_451_653;
const DEFAULT_BATCH = 100_000;

export interface SeedOptions {
  accountId: string;
  contacts: number;
  batchSize?: number;
  /** Called after each batch with the contacts asked for so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  requested: number;
  created: number;
  byCountry: Record<string, number>;
  /** Keys of the demo custom fields that received values (a same-named field of another type is left alone). */
  fields: string[];
  lists: { id: string; name: string; added: number }[];
  ms: number;
}

/** Names as they appear in an email address: lower-case ASCII letters only. */
function emailPart(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss').toLowerCase().replace(/[^a-z]/g, '');
}

function countryRows() {
  let lo = 0;
  return DEMO_COUNTRIES.map((c) => {
    const row = {
      code: c.code, lo, hi: lo + c.share, prefixes: c.prefixes, digits: c.digits,
      first_names: c.firstNames, last_names: c.lastNames,
      first_emails: c.firstNames.map(emailPart), last_emails: c.lastNames.map(emailPart),
    };
    lo += c.share;
    return row;
  });
}

/** Creates the demo custom fields and lists when missing; returns which fields have the demo type. */
async function prepare(client: pg.Client, accountId: string): Promise<{ fields: Set<string>; lists: { id: string; name: string }[] }> {
  await client.query(
    `insert into custom_field (id, account_id, key, label, type, created_at)
     select gen_random_uuid(), $1, f.key, f.label, f.type, now() from jsonb_to_recordset($2::jsonb) as f(key text, label text, type text)
     on conflict (account_id, key) do nothing`,
    [accountId, JSON.stringify(DEMO_FIELDS)],
  );
  const fields = await client.query<{ key: string; type: string }>(`select key, type from custom_field where account_id = $1 and key = any($2::text[])`, [accountId, DEMO_FIELDS.map((f) => f.key)]);
  const usable = new Set(fields.rows.filter((row) => DEMO_FIELDS.some((f) => f.key === row.key && f.type === row.type)).map((row) => row.key));
  await client.query(
    `insert into contact_list (id, account_id, name, created_at) select gen_random_uuid(), $1, n, now() from unnest($2::text[]) as n
     on conflict (account_id, name) do nothing`,
    [accountId, DEMO_LISTS],
  );
  const lists = await client.query<{ id: string; name: string }>(`select id, name from contact_list where account_id = $1 and name = any($2::text[])`, [accountId, DEMO_LISTS]);
  const byName = new Map(lists.rows.map((l) => [l.name, l]));
  return { fields: usable, lists: DEMO_LISTS.map((name) => byName.get(name)!) };
}

// One batch: $1 account, $2 countries (json), $3 contact id sequence, $4 position of the batch's
// first row, $5 rows in the batch, $6 total rows of the run, $7-$9 whether tier/birthday/points
// are usable, $10-$12 the list ids (VIP, newsletter, promotion).
const BATCH_SQL = `
with countries as materialized (
  select * from jsonb_to_recordset($2::jsonb)
    as x(code text, lo int, hi int, prefixes text[], digits int, first_names text[], last_names text[], first_emails text[], last_emails text[])
),
g as (
  select nextval($3::regclass) as k, $4::bigint + s as pos,
         random() as r1, random() as r2, random() as r3, random() as r4, random() as r5, random() as r6, random() as r7,
         random() as r8, random() as r9, random() as r10
  from generate_series(1, $5::int) as s
),
numbered as (
  select g.*, c.code, c.prefixes, c.digits, c.first_names, c.last_names, c.first_emails, c.last_emails,
         (g.k * ${SPREAD}::bigint) % (array_length(c.prefixes, 1) * (10::bigint ^ c.digits)::bigint) as x,
         1 + floor(g.r1 * array_length(c.first_names, 1))::int as fi,
         1 + floor(g.r7 * array_length(c.last_names, 1))::int as li
  from g join countries c on (g.k * 37) % 100 >= c.lo and (g.k * 37) % 100 < c.hi
),
people as (
  select n.k, n.code, n.r2, n.r3, n.r4, n.r5, n.r6, n.r8, n.r9, n.r10,
         n.prefixes[1 + (n.x / (10::bigint ^ n.digits)::bigint)::int] || lpad((n.x % (10::bigint ^ n.digits)::bigint)::text, n.digits, '0') as phone,
         n.first_names[n.fi] as first_name,
         n.last_names[n.li] as last_name,
         n.first_emails[n.fi] || '.' || n.last_emails[n.li] as email_name,
         now() - (1 - n.pos::float8 / $6::float8) * interval '365 days' - n.r6 * interval '1 hour' as created_at
  from numbered n
),
rows as (
  select p.*,
         case when p.r2 < 0.88 then
           p.email_name || case when p.r3 < 0.5 then (p.k % 97)::text else '' end
           || '@' || (array['example.com', 'example.net', 'example.org'])[1 + (p.k % 3)::int]
         end as email,
         case when p.r5 < 0.05 then false when p.r5 < 0.3 then true end as sms_opt_in,
         case when p.r5 < 0.05 then (array['stop_keyword', 'stop_keyword', 'unsubscribe_link', 'manual'])[1 + floor(p.r4 * 4)::int] end as opt_out_source,
         jsonb_strip_nulls(jsonb_build_object(
           'tier', case when $7::boolean and p.r3 < 0.9 then case when p.r4 < 0.5 then 'bronze' when p.r4 < 0.8 then 'silver' when p.r4 < 0.95 then 'gold' else 'platinum' end end,
           'birthday', case when $8::boolean and p.r9 < 0.7 then to_char(date '1950-01-01' + floor(p.r10 * 20800)::int, 'YYYY-MM-DD') end,
           'points', case when $9::boolean and p.r8 < 0.8 then floor(p.r4 * 5000)::int end
         )) as fields
  from people p
),
ins as (
  insert into contact as c (id, account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source, opted_out_at, bad_number, created_at, updated_at)
  select r.k, $1, r.phone, r.code, r.email, r.first_name, r.last_name, r.fields, r.sms_opt_in, r.opt_out_source,
         case when r.sms_opt_in = false then r.created_at + (now() - r.created_at) * r.r6 end,
         false, r.created_at, r.created_at
  from rows r
  on conflict (account_id, phone) do nothing
  returning c.id, c.phone, c.country, c.fields, c.sms_opt_in, c.opt_out_source, c.opted_out_at, c.created_at
),
consent as (
  insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor, at)
  select $1, i.id, encode(sha256(convert_to($1::text || ':' || i.phone, 'UTF8')), 'hex'), i.sms_opt_in,
         coalesce(i.opt_out_source, 'import'), 'system:seed-demo', coalesce(i.opted_out_at, i.created_at)
  from ins i where i.sms_opt_in is not null
),
members as (
  insert into contact_list_member (list_id, contact_id, account_id, added_at)
  select m.list_id, m.contact_id, $1, m.added_at from (
    select $10::uuid as list_id, i.id as contact_id, i.created_at as added_at from ins i
     where coalesce(i.fields ->> 'tier' = 'platinum' or (i.fields ->> 'tier' = 'gold' and random() < 0.4), random() < 0.08)
    union all
    select $11::uuid, i.id, i.created_at from ins i where random() < 0.2
    union all
    select $12::uuid, i.id, now() - random() * interval '30 days' from ins i where random() < 0.06
  ) m
  on conflict do nothing
  returning list_id
),
added as (
  select list_id, count(*)::int as n from members group by list_id
)
select 'country' as kind, i.country as name, count(*)::int as n from ins i group by i.country
union all
select 'list', list_id::text, n from added`;

/** Adds `contacts` demo contacts to an account. Run it on a client of its own: each batch is one
 * statement (its own transaction), so a large run can be interrupted without half a batch. */
export async function seedDemoContacts(client: pg.Client, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const total = options.contacts;
  if (!Number.isInteger(total) || total < 1) throw new Error('the number of contacts must be a positive whole number');
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const { fields, lists } = await prepare(client, options.accountId);
  const sequence = (await client.query<{ seq: string }>(`select pg_get_serial_sequence('contact', 'id') as seq`)).rows[0].seq;
  const countries = JSON.stringify(countryRows());
  const byCountry: Record<string, number> = {};
  const added = new Map<string, number>();
  let created = 0;
  for (let done = 0; done < total; done += batchSize) {
    const size = Math.min(batchSize, total - done);
    const { rows } = await client.query<{ kind: string; name: string; n: number }>(BATCH_SQL, [
      options.accountId,
      countries,
      sequence,
      done,
      size,
      total,
      fields.has('tier'),
      fields.has('birthday'),
      fields.has('points'),
      lists[0].id,
      lists[1].id,
      lists[2].id,
    ]);
    for (const row of rows) {
      if (row.kind === 'country') {
        byCountry[row.name] = (byCountry[row.name] ?? 0) + row.n;
        created += row.n;
      } else added.set(row.name, (added.get(row.name) ?? 0) + row.n);
    }
    options.onProgress?.(done + size, total);
  }
  // Fresh statistics, so segment counts over the new rows get good plans at once.
  await client.query('analyze contact, contact_list_member, consent_event');
  return {
    requested: total,
    created,
    byCountry,
    fields: DEMO_FIELDS.map((f) => f.key).filter((key) => fields.has(key)),
    lists: lists.map((l) => ({ ...l, added: added.get(l.id) ?? 0 })),
    ms: Date.now() - started,
  };
}
