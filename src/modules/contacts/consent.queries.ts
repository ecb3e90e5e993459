// The consent rules, in SQL on the caller's transaction, for every path that changes a contact's
// opt-in one at a time or by keyword: the contact pages and the unsubscribe link
// (contacts.service.ts changeOptIn and createContact, one row each) and the inbound processor
// (STOP, START, a join keyword, a number that writes to us: many rows at once, since an inbound
// burst is thousands of messages a second). The rules:
// - every change leaves a consent event with its source and actor (a repeated STOP changes nothing);
// - opting a contact in lifts its number's suppression;
// - a number that is no contact is suppressed by a STOP (no longer by a START), so that it comes
//   back opted out;
// - a new contact starts opted out when its number is suppressed, unless it asked to join (a join
//   keyword is a new consent: it opts in and lifts the suppression); otherwise as it was given.
// Each function takes many rows (one statement for the lot) naming distinct contacts and numbers:
// a caller with several changes for one contact makes them in turn.
import { numberZone } from './time-zones.js';
import type pg from 'pg';
import { phoneHash } from '../../phone.js';

export interface KeywordContact {
  id: string;
  optedIn: boolean;
  email: string | null;
}

/** A contact's opt-in as it is stored after a change. */
export interface OptInState {
  smsOptIn: boolean | null;
  optOutSource: string | null;
  optedOutAt: Date | null;
}

/** The contacts of these numbers (each with its account), by `contactKey`: read once for a batch
 * of inbound messages instead of once per message. */
export async function contactsByPhoneOn(client: pg.ClientBase, numbers: { accountId: string; phone: string }[]): Promise<Map<string, KeywordContact>> {
  if (!numbers.length) return new Map();
  const { rows } = await client.query<{ account_id: string; phone: string; id: string; sms_opt_in: boolean | null; email: string | null }>({
    name: 'consent-contacts-by-phone',
    text: `select c.account_id, c.phone, c.id, c.sms_opt_in, c.email from contact c
     where (c.account_id, c.phone) in (select * from unnest($1::uuid[], $2::text[]))`,
    values: [numbers.map((n) => n.accountId), numbers.map((n) => n.phone)],
  });
  return new Map(rows.map((row) => [contactKey(row.account_id, row.phone), { id: row.id, optedIn: row.sms_opt_in !== false, email: row.email }]));
}

export const contactKey = (accountId: string, phone: string) => `${accountId} ${phone}`;

/** A contact opted in or out; with no contact, a number suppressed (optedIn false) or no longer. */
export interface OptInChange {
  accountId: string;
  contactId: string | null;
  phone: string;
  optedIn: boolean;
  source: string;
  actor: string;
}

/** The consent events of the changed rows, in their order (`c`: the statement's rows, `changed`:
 * the positions of those that changed). */
const CONSENT_EVENTS = `insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor)
  select c.account_id, c.contact_id, c.phone_hash, c.opted_in, c.source, left(c.actor, 300) from c join changed using (position) order by c.position`;

/** Applies opt-in changes; answers, for each, whether it changed anything (a repeated STOP does
 * not) and, for a contact, its opt-in afterwards (null for a number). */
export async function setOptInsOn(client: pg.ClientBase, changes: OptInChange[]): Promise<{ changed: boolean; state: OptInState | null }[]> {
  if (!changes.length) return [];
  const { rows } = await client.query<{ position: string; sms_opt_in: boolean | null; opt_out_source: string | null; opted_out_at: Date | null; changed: boolean }>({
    name: 'consent-set-opt-ins',
    text: `with c as (
       select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::boolean[], $5::text[], $6::text[]) with ordinality
         as c(account_id, contact_id, phone_hash, opted_in, source, actor, position)),
     contacts as (
       update contact t set sms_opt_in = c.opted_in, opt_out_source = case when c.opted_in then null else c.source end,
              opted_out_at = case when c.opted_in then null else now() end, updated_at = now()
       from c where c.contact_id is not null and t.account_id = c.account_id and t.id = c.contact_id and (t.sms_opt_in is not false) <> c.opted_in
       returning c.position, t.sms_opt_in, t.opt_out_source, t.opted_out_at),
     lifted as (
       delete from suppression s using c where c.opted_in and s.account_id = c.account_id and s.phone_hash = c.phone_hash
       returning c.position, c.contact_id),
     suppressed as (
       insert into suppression (account_id, phone_hash, source) select account_id, phone_hash, source from c where c.contact_id is null and not c.opted_in
       on conflict do nothing returning account_id, phone_hash),
     changed as (
       select position from contacts
       union all select position from lifted where contact_id is null
       union all select c.position from suppressed s join c on c.contact_id is null and c.account_id = s.account_id and c.phone_hash = s.phone_hash),
     events as (${CONSENT_EVENTS})
     select c.position, coalesce(k.sms_opt_in, t.sms_opt_in) as sms_opt_in, coalesce(k.opt_out_source, t.opt_out_source) as opt_out_source,
            case when k.position is not null then k.opted_out_at else t.opted_out_at end as opted_out_at,
            exists (select 1 from changed x where x.position = c.position) as changed
     from c left join contacts k using (position) left join contact t on k.position is null and t.account_id = c.account_id and t.id = c.contact_id
     order by c.position`,
    values: [
      changes.map((c) => c.accountId),
      changes.map((c) => c.contactId),
      changes.map((c) => phoneHash(c.accountId, c.phone)),
      changes.map((c) => c.optedIn),
      changes.map((c) => c.source),
      changes.map((c) => c.actor),
    ],
  });
  return rows.map((row, index) => ({
    changed: row.changed,
    state: changes[index]!.contactId === null ? null : { smsOptIn: row.sms_opt_in, optOutSource: row.opt_out_source, optedOutAt: row.opted_out_at },
  }));
}

/** The opt-in a new contact starts with (the contact is inserted first, with none). */
export interface StartingOptIn {
  accountId: string;
  contactId: string;
  phone: string;
  /** What the form or message said: null when nothing. */
  given: boolean | null;
  /** The person asked to join (a join keyword): a new consent, which beats a suppression. */
  join: boolean;
  source: string;
  actor: string;
}

/** Gives new contacts their starting opt-in, with its consent event; answers each one's opt-in. */
export async function startOptInsOn(client: pg.ClientBase, contacts: StartingOptIn[]): Promise<OptInState[]> {
  if (!contacts.length) return [];
  const { rows } = await client.query<{ sms_opt_in: boolean | null; opt_out_source: string | null; opted_out_at: Date | null }>({
    name: 'consent-start-opt-ins',
    text: `with given as (
       select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::boolean[], $5::boolean[], $6::text[], $7::text[]) with ordinality
         as g(account_id, contact_id, phone_hash, given, joins, source, actor, position)),
     lifted as (delete from suppression s using given g where g.joins and s.account_id = g.account_id and s.phone_hash = g.phone_hash),
     c as (
       select g.account_id, g.contact_id, g.phone_hash, g.actor, g.position, x.suppressed,
              case when g.joins then true when x.suppressed then false else g.given end as opted_in,
              case when x.suppressed then 'suppressed' else g.source end as source
       from given g, lateral (select not g.joins and exists (select 1 from suppression s where s.account_id = g.account_id and s.phone_hash = g.phone_hash) as suppressed) x),
     changed as (select position from c where opted_in is not null),
     started as (
       update contact t set sms_opt_in = c.opted_in, opt_out_source = case when not c.opted_in then c.source end,
              opted_out_at = case when not c.opted_in then now() end, updated_at = now()
       from c where c.opted_in is not null and t.account_id = c.account_id and t.id = c.contact_id),
     events as (${CONSENT_EVENTS})
     select c.opted_in as sms_opt_in, case when not c.opted_in then c.source end as opt_out_source, case when not c.opted_in then now() end as opted_out_at
     from c order by c.position`,
    values: [
      contacts.map((c) => c.accountId),
      contacts.map((c) => c.contactId),
      contacts.map((c) => phoneHash(c.accountId, c.phone)),
      contacts.map((c) => c.given),
      contacts.map((c) => c.join),
      contacts.map((c) => c.source),
      contacts.map((c) => c.actor),
    ],
  });
  return rows.map((row) => ({ smsOptIn: row.sms_opt_in, optOutSource: row.opt_out_source, optedOutAt: row.opted_out_at }));
}

/** A number that wrote to us and is no contact yet. */
export interface NewKeywordContact {
  accountId: string;
  phone: string;
  country: string | null;
  email: string | null;
  /** A join keyword: the contact is opted in (see startOptInsOn). */
  join: boolean;
  source: string;
  actor: string;
}

/** Creates the contacts of numbers that wrote to us, with their starting opt-in (startOptInsOn). */
export async function createKeywordContactsOn(client: pg.ClientBase, contacts: NewKeywordContact[]): Promise<KeywordContact[]> {
  if (!contacts.length) return [];
  const { rows } = await client.query<{ id: string; account_id: string; phone: string }>({
    name: 'consent-create-contacts',
    text: `insert into contact (account_id, phone, country, email, time_zone, time_zone_source)
     select v.account_id, v.phone, v.country, v.email, v.time_zone, 'number'
     from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality as v(account_id, phone, country, email, time_zone, position)
     order by v.position
     on conflict (account_id, phone) do update set updated_at = now() returning id, account_id, phone`,
    values: [contacts.map((c) => c.accountId), contacts.map((c) => c.phone), contacts.map((c) => c.country), contacts.map((c) => c.email), contacts.map((c) => numberZone(c.phone))],
  });
  const idOf = new Map(rows.map((row) => [contactKey(row.account_id, row.phone), row.id]));
  const ids = contacts.map((c) => idOf.get(contactKey(c.accountId, c.phone))!);
  const started = await startOptInsOn(
    client,
    contacts.map((c, index) => ({ accountId: c.accountId, contactId: ids[index]!, phone: c.phone, given: null, join: c.join, source: c.source, actor: c.actor })),
  );
  return contacts.map((c, index) => ({ id: ids[index]!, optedIn: started[index]!.smsOptIn !== false, email: c.email }));
}

/** Saves email addresses sent by SMS on their contacts. */
export async function setEmailsOn(client: pg.ClientBase, emails: { accountId: string; contactId: string; email: string }[]): Promise<void> {
  if (!emails.length) return;
  await client.query({
    name: 'consent-set-emails',
    text: `update contact c set email = v.email, updated_at = now()
     from unnest($1::uuid[], $2::bigint[], $3::text[]) as v(account_id, id, email) where c.account_id = v.account_id and c.id = v.id`,
    values: [emails.map((e) => e.accountId), emails.map((e) => e.contactId), emails.map((e) => e.email)],
  });
}

/** Flags contacts whose number a gateway called invalid (Twilio 21211, 21614): later campaigns
 * skip them as "bad number", as they skip numbers that failed validation at import. */
export async function flagBadNumbersOn(client: pg.ClientBase, accountId: string, contactIds: string[]): Promise<void> {
  if (!contactIds.length) return;
  await client.query('update contact set bad_number = true, updated_at = now() where account_id = $1 and id = any($2::bigint[]) and not bad_number', [accountId, contactIds]);
}
