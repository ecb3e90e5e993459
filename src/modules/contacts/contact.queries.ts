// The contacts table: search, filters, keyset pagination and a count, in hand-written SQL so a
// page stays one indexed query at a million contacts (page 10,000 costs what page 1 costs: the
// cursor is the last id seen, never an OFFSET). Also the set-based writes that go with one contact
// or one custom field (erasure from the messages, a deleted field's values). Every function takes
// the EntityManager (none here takes a raw client); every statement is scoped by the account id.
import type { EntityManager } from '@mikro-orm/postgresql';
import { normalisePhone } from '../../phone.js';
import { escapeLike } from '../../db/like.js';
import { isUuid } from '../../db/find.js';

export interface ContactFilters {
  q?: string;
  optIn?: 'in' | 'out' | '';
  country?: string;
  listId?: string;
  badNumber?: boolean;
}

/** A contact as the tables of contacts and segment previews show it (one row shape, one column list). */
export interface ContactRow {
  id: number;
  phone: string;
  country: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  sms_opt_in: boolean | null;
  opt_out_source: string | null;
  bad_number: boolean;
  created_at: Date;
}

/** The columns of a ContactRow, from `contact c`. */
export const CONTACT_ROW_COLUMNS = 'c.id, c.phone, c.country, c.email, c.first_name, c.last_name, c.sms_opt_in, c.opt_out_source, c.bad_number, c.created_at';


/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
function likePrefix(text: string): string {
  return escapeLike(text) + '%';
}

/** The WHERE clause of the filters, with `?` placeholders and their values. */
function whereOf(accountId: string, filters: ContactFilters, defaultCountry: string | null): { sql: string; params: unknown[] } {
  const parts = ['c.account_id = ?'];
  const params: unknown[] = [accountId];
  const q = filters.q?.trim();
  if (q) {
    // A number is looked up by its E.164 prefix; anything else by the start of the email, first
    // or last name (each has an index on lower(...) led by the account).
    const digits = q.replace(/[\s().-]/g, '');
    if (/^(\+|00)?\d{3,}$/.test(digits)) {
      const phone = normalisePhone(digits, defaultCountry);
      const prefix = phone.ok ? phone.e164 : digits.replace(/^00/, '+');
      parts.push(`c.phone like ?`);
      params.push(likePrefix(prefix.startsWith('+') ? prefix : '+' + prefix));
    } else {
      const prefix = likePrefix(q.toLowerCase());
      parts.push(`(c.email like ? or lower(c.first_name) like ? or lower(c.last_name) like ?)`);
      params.push(prefix, prefix, prefix);
    }
  }
  if (filters.optIn === 'in') parts.push('c.sms_opt_in is distinct from false');
  if (filters.optIn === 'out') parts.push('c.sms_opt_in = false');
  if (filters.country && /^[A-Z]{2}$/.test(filters.country)) {
    parts.push('c.country = ?');
    params.push(filters.country);
  }
  if (filters.badNumber) parts.push('c.bad_number');
  if (filters.listId && isUuid(filters.listId)) {
    parts.push('exists (select 1 from contact_list_member m where m.account_id = c.account_id and m.list_id = ? and m.contact_id = c.id)');
    params.push(filters.listId);
  }
  return { sql: parts.join(' and '), params };
}

export async function contactPage(em: EntityManager, accountId: string, filters: ContactFilters, page: { after?: number; limit: number }, defaultCountry: string | null = null): Promise<{ rows: ContactRow[]; next: number | null }> {
  const where = whereOf(accountId, filters, defaultCountry);
  const params = [...where.params];
  let cursor = '';
  if (page.after) {
    cursor = ' and c.id < ?';
    params.push(page.after);
  }
  params.push(page.limit + 1);
  const rows = await em.getConnection().execute<ContactRow[]>(
    `select ${CONTACT_ROW_COLUMNS} from contact c where ${where.sql}${cursor} order by c.id desc limit ?`,
    params,
  );
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit).map((row) => ({ ...row, id: Number(row.id) }));
  return { rows: shown, next: more ? shown[shown.length - 1].id : null };
}

export async function countContacts(em: EntityManager, accountId: string, filters: ContactFilters, defaultCountry: string | null = null): Promise<number> {
  const where = whereOf(accountId, filters, defaultCountry);
  const rows = await em.getConnection().execute<{ n: string }[]>(`select count(*) as n from contact c where ${where.sql}`, where.params);
  return Number(rows[0].n);
}

/** The countries present among the account's contacts, for the filter menu. */
export async function contactCountries(em: EntityManager, accountId: string): Promise<string[]> {
  // A loose index scan: one index probe per distinct country instead of reading every row.
  const rows = await em.getConnection().execute<{ country: string }[]>(
    `with recursive countries as (
       (select country from contact where account_id = ? and country is not null order by country limit 1)
       union all
       select (select country from contact where account_id = ? and country > countries.country order by country limit 1)
       from countries where countries.country is not null
     ) select country from countries where country is not null`,
    [accountId, accountId],
  );
  return rows.map((row) => row.country);
}

/** A deleted custom field's values go from every contact of the account, in one statement. */
export async function removeFieldValues(em: EntityManager, accountId: string, key: string): Promise<void> {
  await em.getConnection().execute(`update contact set fields = fields - ? where account_id = ? and jsonb_exists(fields, ?)`, [key, accountId, key]);
}
