// List membership in set-based SQL: sizes, adding by phone numbers or by contact ids, removing.
// Every statement is scoped by the account id, and only adds contacts of that account.
// Arrays travel as one JSON parameter (the query layer would expand a JS array into a list).
import type { EntityManager } from '@mikro-orm/postgresql';

export async function listSizes(em: EntityManager, accountId: string): Promise<Map<string, number>> {
  const rows = await em.getConnection().execute<{ list_id: string; n: string }[]>(
    `select m.list_id, count(*) as n from contact_list_member m where m.account_id = ? group by m.list_id`,
    [accountId],
  );
  return new Map(rows.map((row) => [row.list_id, Number(row.n)]));
}

export async function listSize(em: EntityManager, accountId: string, listId: string): Promise<number> {
  const rows = await em.getConnection().execute<{ n: string }[]>(`select count(*) as n from contact_list_member where account_id = ? and list_id = ?`, [accountId, listId]);
  return Number(rows[0].n);
}

/** Adds the contacts with these E.164 numbers; answers how many were added and which numbers
 * match no contact of the account. */
export async function addPhonesToList(em: EntityManager, accountId: string, listId: string, phones: string[]): Promise<{ added: number; notFound: string[] }> {
  if (phones.length === 0) return { added: 0, notFound: [] };
  const rows = await em.getConnection().execute<{ phone: string; contact_id: string | null; added: boolean }[]>(
    `with wanted as (select distinct jsonb_array_elements_text(?::jsonb) as phone),
     found as (select w.phone, c.id from wanted w left join contact c on c.account_id = ? and c.phone = w.phone),
     ins as (
       insert into contact_list_member (list_id, contact_id, account_id)
       select ?, f.id, ? from found f where f.id is not null
       on conflict do nothing returning contact_id
     )
     select f.phone, f.id as contact_id, exists (select 1 from ins where ins.contact_id = f.id) as added from found f`,
    [JSON.stringify(phones), accountId, listId, accountId],
  );
  return { added: rows.filter((row) => row.added).length, notFound: rows.filter((row) => row.contact_id === null).map((row) => row.phone).sort() };
}

export async function addContactsToList(em: EntityManager, accountId: string, listId: string, contactIds: number[]): Promise<number> {
  if (contactIds.length === 0) return 0;
  const rows = await em.getConnection().execute<{ n: string }[]>(
    `with ins as (
       insert into contact_list_member (list_id, contact_id, account_id)
       select ?, c.id, c.account_id from contact c where c.account_id = ? and c.id in (select jsonb_array_elements_text(?::jsonb)::bigint)
       on conflict do nothing returning 1
     ) select count(*) as n from ins`,
    [listId, accountId, JSON.stringify(contactIds)],
  );
  return Number(rows[0].n);
}

export async function removeContactsFromList(em: EntityManager, accountId: string, listId: string, contactIds: number[]): Promise<number> {
  if (contactIds.length === 0) return 0;
  return em.getConnection().execute(`delete from contact_list_member where account_id = ? and list_id = ? and contact_id in (select jsonb_array_elements_text(?::jsonb)::bigint)`, [accountId, listId, JSON.stringify(contactIds)], 'run').then((r) => (r as unknown as { affectedRows: number }).affectedRows);
}

export async function listsOfContact(em: EntityManager, accountId: string, contactId: number): Promise<{ id: string; name: string }[]> {
  return em.getConnection().execute(
    `select l.id, l.name from contact_list_member m join contact_list l on l.id = m.list_id where m.account_id = ? and m.contact_id = ? order by l.name`,
    [accountId, contactId],
  );
}
