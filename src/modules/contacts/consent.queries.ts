// Consent by keyword, in SQL on the caller's transaction: the inbound processor opts contacts out
// and in (STOP, START, a join keyword), creates contacts for numbers that write to us, and keeps
// the suppression list of numbers that said STOP before they were contacts. The rules are the
// ORM path's (contacts.service.ts recordOptIn/changeOptIn): every change leaves a consent event
// with its source and actor, opting in lifts a suppression, and a suppressed number becomes a
// contact opted out. They are SQL here because an inbound burst is thousands of messages a
// second, each in its own short transaction.
import type pg from 'pg';
import { phoneHash } from '../../phone.js';

export interface KeywordContact {
  id: string;
  optedIn: boolean;
  email: string | null;
}

/** The contacts of these numbers (each with its account), by `contactKey`: read once for a batch
 * of inbound messages instead of once per message. */
export async function contactsByPhoneOn(client: pg.ClientBase, numbers: { accountId: string; phone: string }[]): Promise<Map<string, KeywordContact>> {
  if (!numbers.length) return new Map();
  const { rows } = await client.query<{ account_id: string; phone: string; id: string; sms_opt_in: boolean | null; email: string | null }>(
    `select c.account_id, c.phone, c.id, c.sms_opt_in, c.email from contact c
     where (c.account_id, c.phone) in (select * from unnest($1::uuid[], $2::text[]))`,
    [numbers.map((n) => n.accountId), numbers.map((n) => n.phone)],
  );
  return new Map(rows.map((row) => [contactKey(row.account_id, row.phone), { id: row.id, optedIn: row.sms_opt_in !== false, email: row.email }]));
}

export const contactKey = (accountId: string, phone: string) => `${accountId} ${phone}`;

async function consentEventOn(client: pg.ClientBase, accountId: string, contactId: string | null, phone: string, optedIn: boolean, source: string, actor: string) {
  await client.query('insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor) values ($1, $2, $3, $4, $5, $6)', [
    accountId,
    contactId,
    phoneHash(accountId, phone),
    optedIn,
    source,
    actor.slice(0, 300),
  ]);
}

/** Opts a contact in or out; answers whether that changed anything (a repeated STOP does not). */
export async function setOptInOn(client: pg.ClientBase, change: { accountId: string; contactId: string; phone: string; optedIn: boolean; source: string; actor: string }): Promise<boolean> {
  const { accountId, contactId, phone, optedIn, source, actor } = change;
  const { rowCount } = await client.query(
    `update contact set sms_opt_in = $3, opt_out_source = case when $3 then null else $4 end, opted_out_at = case when $3 then null else now() end, updated_at = now()
     where account_id = $1 and id = $2 and (sms_opt_in is not false) <> $3`,
    [accountId, contactId, optedIn, source],
  );
  if (optedIn) await client.query('delete from suppression where account_id = $1 and phone_hash = $2', [accountId, phoneHash(accountId, phone)]);
  if (!rowCount) return false;
  await consentEventOn(client, accountId, contactId, phone, optedIn, source, actor);
  return true;
}

/** A number that is no contact said STOP (or START): it is suppressed (or no longer), so that a
 * later import or API call creates it opted out. Answers whether that changed anything. */
export async function setNumberSuppressedOn(client: pg.ClientBase, change: { accountId: string; phone: string; suppressed: boolean; source: string; actor: string }): Promise<boolean> {
  const { accountId, phone, suppressed, source, actor } = change;
  const hash = phoneHash(accountId, phone);
  const { rowCount } = suppressed
    ? await client.query('insert into suppression (account_id, phone_hash, source) values ($1, $2, $3) on conflict do nothing', [accountId, hash, source])
    : await client.query('delete from suppression where account_id = $1 and phone_hash = $2', [accountId, hash]);
  if (!rowCount) return false;
  await consentEventOn(client, accountId, null, phone, !suppressed, source, actor);
  return true;
}

/** Creates the contact of a number that wrote to us. Asking to join (a join keyword) opts it in,
 * with that message as evidence, and lifts a suppression: it is a new consent. Otherwise a
 * suppressed number becomes a contact opted out. Answers its id and whether it is opted in. */
export async function createKeywordContactOn(
  client: pg.ClientBase,
  contact: { accountId: string; phone: string; country: string | null; email: string | null; join: boolean; source: string; actor: string },
): Promise<KeywordContact> {
  const { accountId, phone } = contact;
  const hash = phoneHash(accountId, phone);
  const suppressed = contact.join
    ? (await client.query('delete from suppression where account_id = $1 and phone_hash = $2', [accountId, hash]), false)
    : (await client.query('select 1 from suppression where account_id = $1 and phone_hash = $2', [accountId, hash])).rowCount! > 0;
  const optIn = contact.join ? true : suppressed ? false : null;
  const { rows } = await client.query<{ id: string }>(
    `insert into contact (account_id, phone, country, email, sms_opt_in, opt_out_source, opted_out_at) values ($1, $2, $3, $4, $5, $6, case when $5 = false then now() end)
     on conflict (account_id, phone) do update set updated_at = now() returning id`,
    [accountId, phone, contact.country, contact.email, optIn, suppressed ? 'suppressed' : null],
  );
  const id = rows[0]!.id;
  if (optIn !== null) await consentEventOn(client, accountId, id, phone, optIn, suppressed ? 'suppressed' : contact.source, contact.actor);
  return { id, optedIn: optIn !== false, email: contact.email };
}

/** Saves an email address sent by SMS on the contact. */
export async function setEmailOn(client: pg.ClientBase, accountId: string, contactId: string, email: string): Promise<void> {
  await client.query('update contact set email = $3, updated_at = now() where account_id = $1 and id = $2', [accountId, contactId, email]);
}
