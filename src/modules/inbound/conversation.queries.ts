// A contact's conversation (a contacts conversation reader, registered in src/wiring.ts): what it
// sent to the account's inbound numbers and what it was sent (campaign messages and replies that
// left, with their text as sent), newest `limit` of both in one statement, shown oldest first.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationEntry } from '../contacts/index.js';

const READ_AS: Record<string, string> = {
  opt_out: 'STOP: opted out',
  opt_in: 'opted in again',
  help: 'asked for help',
  event: 'inbound event',
  email: 'email captured',
  inbox: 'in the SMS inbox',
};

interface Row {
  direction: 'in' | 'out';
  text: string;
  at: Date;
  classification: string | null;
  keyword: string | null;
  status: string | null;
  campaign: string | null;
  is_confirmation: boolean | null;
  number: string | null;
}

export async function contactConversation(em: EntityManager, accountId: string, contact: { id: number; phone: string }, limit: number): Promise<ConversationEntry[]> {
  const rows = await em.getConnection().execute<Row[]>(
    `select * from (
       (select 'in' as direction, im.body as text, im.received_at as at, im.classification, im.keyword, null as status, null as campaign, null::boolean as is_confirmation, n.number
        from inbound_message im left join inbound_number n on n.account_id = im.account_id and n.id = im.inbound_number_id
        where im.account_id = ? and im.phone = ? order by im.received_at desc limit ?)
       union all
       (select 'out', m.body, coalesce(m.sent_at, m.created_at), null, null, m.status, c.name, m.is_confirmation, coalesce(c.sender, rn.number)
        from message m
        left join campaign c on c.account_id = m.account_id and c.id = m.campaign_id
        left join inbound_message rm on rm.account_id = m.account_id and rm.id = m.reply_to_id
        left join inbound_number rn on rn.account_id = m.account_id and rn.id = rm.inbound_number_id
        where m.account_id = ? and m.contact_id = ? and m.body is not null order by coalesce(m.sent_at, m.created_at) desc limit ?)
     ) both_ways order by at desc limit ?`,
    [accountId, contact.phone, limit, accountId, contact.id, limit, limit],
  );
  return rows.reverse().map((row) => ({
    direction: row.direction,
    text: row.text,
    at: new Date(row.at),
    number: row.number,
    about:
      row.direction === 'in'
        ? [row.classification ? READ_AS[row.classification] : 'not processed yet', row.keyword].filter(Boolean).join(' · ')
        : `${row.campaign ?? (row.is_confirmation ? 'Opt-out confirmation' : 'Reply')} · ${row.status}`,
  }));
}
