// What a gateway's refusal says about its recipient (SendResult.contactEffect): the person
// unsubscribed at the provider (Twilio 21610: they texted STOP to its number), so the contact is
// opted out with source "gateway" and the provider's code as the actor ("gateway (Twilio 21610)"),
// or the number is invalid (Twilio 21211, 21614), so the contact is flagged bad number. Both
// keep later campaigns from sending to them (and paying for a refusal). Written on the caller's
// transaction, with the results it records.
import type pg from 'pg';
import { flagBadNumbersOn, setOptInsOn } from '../contacts/index.js';
import { gatewayKind, type SendResult } from '../gateways/index.js';
import { contactsOfMessagesOn } from './dispatch.queries.js';

type Refused = Extract<SendResult, { accepted: false }>;

export async function applyContactEffectsOn(client: pg.ClientBase, accountId: string, gatewayKindName: string, refused: Refused[]): Promise<void> {
  const effects = refused.filter((r) => r.contactEffect);
  if (!effects.length) return;
  const contacts = await contactsOfMessagesOn(client, accountId, effects.map((r) => r.clientRef));
  const label = gatewayKind(gatewayKindName).label;
  // One change per contact (a batch may hold two messages to one contact).
  const optOuts = new Map<string, { accountId: string; contactId: string; phone: string; optedIn: false; source: string; actor: string }>();
  const badNumbers = new Set<string>();
  for (const result of effects) {
    const contact = contacts.get(result.clientRef);
    if (!contact) continue;
    if (result.contactEffect === 'opted_out') optOuts.set(contact.contactId, { accountId, ...contact, optedIn: false, source: 'gateway', actor: `gateway (${label} ${result.errorCode})` });
    else badNumbers.add(contact.contactId);
  }
  await setOptInsOn(client, [...optOuts.values()]);
  await flagBadNumbersOn(client, accountId, [...badNumbers]);
}
