// A contact's opt-outs of single sender numbers, for its page (a contacts reader, registered in
// src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SenderOptOut } from '../contacts/index.js';

export async function contactSenderOptOuts(em: EntityManager, accountId: string, contactId: number): Promise<SenderOptOut[]> {
  const rows = await em.getConnection().execute<{ number: string; keyword: string; at: Date }[]>(
    `select n.number, o.keyword, o.at from number_opt_out o join inbound_number n on n.account_id = o.account_id and n.id = o.inbound_number_id
     where o.account_id = ? and o.contact_id = ? order by o.at`,
    [accountId, contactId],
  );
  return rows.map((row) => ({ number: row.number, keyword: row.keyword, at: new Date(row.at) }));
}
