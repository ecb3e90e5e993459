// Who a campaign's recipient source reaches, in set-based SQL over `contact c`: how many will
// receive it (opted in, valid number), how many are left out and why, by country; and the
// longest value of each placeholder among them (for a worst-case part count). Every statement
// starts from the account id.
import type pg from 'pg';
import { compileSegmentOn } from '../contacts/index.js';
import type { SegmentRules } from '../contacts/index.js';

export type RecipientChoice = { kind: 'segment'; rules: SegmentRules } | { kind: 'list'; listId: string };

export interface RecipientFilter {
  /** A boolean SQL expression over `contact c` with $n parameters, starting with the account. */
  sql: string;
  params: unknown[];
}

export async function recipientFilterOn(client: pg.Client, accountId: string, choice: RecipientChoice): Promise<RecipientFilter> {
  if (choice.kind === 'segment') return compileSegmentOn(client, accountId, choice.rules);
  return {
    sql: `c.account_id = $1 and exists (select 1 from contact_list_member m where m.account_id = $1 and m.list_id = $2 and m.contact_id = c.id)`,
    params: [accountId, choice.listId],
  };
}

export interface CountryReach {
  country: string | null;
  receiving: number;
}

/** Receiving recipients of one country in one time zone (null: zone not known from the number). */
export interface ZoneReach extends CountryReach {
  zone: string | null;
}

export interface RecipientSummary {
  total: number;
  receiving: number;
  optedOut: number;
  badNumber: number;
  byCountry: CountryReach[];
  /** The same recipients by country and time zone, for the delivery forecast. */
  byZone: ZoneReach[];
}

export const RECEIVING = `c.sms_opt_in is distinct from false and not c.bad_number`;

/** Who the source reaches, by country and time zone; with `placeholders`, also the longest value of each among
 * the receiving recipients (`longest`), in the same scan. */
export async function summariseOn(client: pg.Client, filter: RecipientFilter, placeholders: { names: string[]; customKeys: Set<string> } = { names: [], customKeys: new Set() }): Promise<RecipientSummary & { longest: Record<string, number> }> {
  const params = [...filter.params];
  const { wanted, columns } = longestColumns(placeholders.names, placeholders.customKeys, params, RECEIVING);
  const { rows } = await client.query<{ country: string | null; time_zone: string | null; total: string; receiving: string; opted_out: string; bad_number: string } & Record<string, number>>(
    `select c.country, c.time_zone, count(*) as total,
            count(*) filter (where ${RECEIVING}) as receiving,
            count(*) filter (where c.sms_opt_in = false) as opted_out,
            count(*) filter (where c.bad_number and c.sms_opt_in is distinct from false) as bad_number
            ${columns.map((column, i) => `, ${column} as v${i}`).join('')}
     from contact c where ${filter.sql} group by c.country, c.time_zone order by count(*) filter (where ${RECEIVING}) desc, c.country, c.time_zone`,
    params,
  );
  const sum = (key: 'total' | 'receiving' | 'opted_out' | 'bad_number') => rows.reduce((n, row) => n + Number(row[key]), 0);
  const byZone = rows.filter((row) => Number(row.receiving) > 0).map((row) => ({ country: row.country, zone: row.time_zone, receiving: Number(row.receiving) }));
  return {
    total: sum('total'),
    receiving: sum('receiving'),
    optedOut: sum('opted_out'),
    badNumber: sum('bad_number'),
    byCountry: sumByCountry(byZone),
    byZone,
    longest: Object.fromEntries(wanted.map((name, i) => [name, rows.reduce((n, row) => Math.max(n, Number(row[`v${i}`])), 0)])),
  };
}

/** Adds up zones per country: most recipients first, then by code, no country last. */
function sumByCountry(byZone: ZoneReach[]): CountryReach[] {
  const countries = new Map<string | null, number>();
  for (const row of byZone) countries.set(row.country, (countries.get(row.country) ?? 0) + row.receiving);
  const code = (country: string | null) => country ?? '~';
  return [...countries]
    .map(([country, receiving]) => ({ country, receiving }))
    .sort((a, b) => b.receiving - a.receiving || (code(a.country) < code(b.country) ? -1 : code(a.country) > code(b.country) ? 1 : 0));
}

const BUILT_IN_COLUMNS: Record<string, string> = { first_name: 'c.first_name', last_name: 'c.last_name', email: 'c.email', phone: 'c.phone' };

/** `max(length(<value>))` over the rows where `where` holds, for each placeholder with a value
 * (custom fields through `params`, which it extends); the names it covers, in column order. */
function longestColumns(names: string[], customKeys: Set<string>, params: unknown[], where: string | null): { wanted: string[]; columns: string[] } {
  const wanted = names.filter((name) => BUILT_IN_COLUMNS[name] || customKeys.has(name));
  const columns = wanted.map((name) => {
    let value = BUILT_IN_COLUMNS[name];
    if (!value) {
      params.push(name);
      value = `c.fields ->> $${params.length}`;
    }
    return `coalesce(max(length(${value}))${where ? ` filter (where ${where})` : ''}, 0)`;
  });
  return { wanted, columns };
}

/** The longest value of each placeholder among the receiving recipients (0 when none has one). */
export async function longestValuesOn(client: pg.Client, filter: RecipientFilter, names: string[], customKeys: Set<string>): Promise<Record<string, number>> {
  const params = [...filter.params];
  const { wanted, columns } = longestColumns(names, customKeys, params, null);
  if (!columns.length) return {};
  const { rows } = await client.query<Record<string, number>>(
    `select ${columns.map((column, i) => `${column} as v${i}`).join(', ')} from contact c where ${filter.sql} and ${RECEIVING}`,
    params,
  );
  return Object.fromEntries(wanted.map((name, i) => [name, Number(rows[0][`v${i}`])]));
}

/** The recipient a preview shows: the first receiving one of the source, or the one with this
 * E.164 number (null when no receiving recipient of the source has it). */
export async function previewContactOn(client: pg.Client, filter: RecipientFilter, phone: string | null): Promise<Record<string, unknown> | null> {
  const params = [...filter.params];
  let pick = '';
  if (phone) {
    params.push(phone);
    pick = ` and c.phone = $${params.length}`;
  }
  const { rows } = await client.query(
    `select c.id, c.phone, c.first_name, c.last_name, c.email, c.fields from contact c where ${filter.sql} and ${RECEIVING}${pick} order by c.id limit 1`,
    params,
  );
  return rows[0] ?? null;
}
