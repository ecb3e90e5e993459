// Erasure of a contact in what sending keeps (a contacts erasure step, registered in
// src/wiring.ts): its messages stay as records (counts, costs) without the number, the text or
// the short-link token, what had not left yet never will, and the gateways' own copies go too.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ErasedContact } from '../contacts/index.js';
import { eraseGatewayCopies } from '../gateways/index.js';

export async function eraseFromMessages(em: EntityManager, contact: ErasedContact): Promise<void> {
  const sent = await em.getConnection().execute<{ id: string; gateway_id: string | null }[]>(
    `select id, gateway_id from message where account_id = ? and contact_id = ? and gateway_id is not null and status <> 'skipped'`,
    [contact.accountId, contact.contactId],
    'all',
    em.getTransactionContext(),
  );
  await eraseGatewayCopies(em, contact.accountId, sent.map((m) => ({ gatewayId: m.gateway_id!, clientRef: m.id })));
  await em.getConnection().execute(
    `update message set contact_id = null, phone = '', body = null, token = null,
            skip_reason = case when status = 'queued' then 'erased' else skip_reason end,
            status = case when status = 'queued' then 'skipped' else status end
     where account_id = ? and contact_id = ?`,
    [contact.accountId, contact.contactId],
    'run',
    em.getTransactionContext(),
  );
}
