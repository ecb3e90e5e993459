// A contact's messages for its page (a contacts message-history reader, registered in
// src/wiring.ts): one statement on the index led by (account, contact), newest first (by when it
// was sent, or written while it waits), with the
// total counted by the same scan (a window over the contact's rows, before the limit).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ContactMessages } from '../contacts/index.js';

interface Row {
  campaign_id: string | null;
  name: string | null;
  is_confirmation: boolean;
  is_test: boolean;
  status: string;
  skip_reason: string | null;
  sent_at: Date | null;
  parts: number | null;
  cost_micros: string | null;
  total: string;
}

export async function contactMessages(em: EntityManager, accountId: string, contactId: number, limit: number): Promise<ContactMessages> {
  const rows = await em.getConnection().execute<Row[]>(
    `select m.campaign_id, c.name, m.is_confirmation, m.is_test, m.status, m.skip_reason, m.sent_at, m.parts, m.cost_micros, count(*) over () as total
     from message m left join campaign c on c.account_id = m.account_id and c.id = m.campaign_id
     where m.account_id = ? and m.contact_id = ?
     order by coalesce(m.sent_at, m.created_at) desc, m.id desc
     limit ?`,
    [accountId, contactId, limit],
  );
  return {
    total: rows.length ? Number(rows[0].total) : 0,
    newest: rows.map((r) => ({
      href: r.campaign_id ? `/create/${r.campaign_id}` : null,
      // A message in no campaign answers the contact's own SMS.
      campaign: r.name ?? (r.is_confirmation ? 'Opt-out confirmation' : 'Reply to an SMS'),
      test: r.is_test,
      status: r.skip_reason ? `${r.status}: ${r.skip_reason.replace(/_/g, ' ')}` : r.status,
      sentAt: r.sent_at,
      parts: r.parts,
      costMicros: r.cost_micros === null ? null : Number(r.cost_micros),
    })),
  };
}
