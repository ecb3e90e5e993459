// Erasure of a contact in what inbound keeps (a contacts erasure step, registered in
// src/wiring.ts): the SMS it sent stay as records (when, to which number, what they were read
// as) without the number, the text or the email found in them, and its event triggers lose
// their data. The consent history keeps the evidence of a STOP, as a hash of the number.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ErasedContact } from '../contacts/index.js';

export async function eraseFromInbound(em: EntityManager, contact: ErasedContact): Promise<void> {
  const connection = em.getConnection();
  const context = em.getTransactionContext();
  await connection.execute(
    `update inbound_message set phone = null, from_raw = '', body = '', inbox_text = case when inbox_text is null then null else '' end, captured_email = null, contact_id = null
     where account_id = ? and (phone = ? or contact_id = ?)`,
    [contact.accountId, contact.phone, contact.contactId],
    'run',
    context,
  );
  await connection.execute(`update event_trigger set contact_id = null, data = '{}' where account_id = ? and contact_id = ?`, [contact.accountId, contact.contactId], 'run', context);
}
