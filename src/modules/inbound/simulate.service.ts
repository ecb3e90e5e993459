// The simulator can receive: a person types an SMS "from" any sender to one of the account's
// inbound numbers on a simulator gateway, and it is stored exactly as the webhook would store it
// (storeInboundOn, no HTTP to ourselves), so the processor treats it as one from a real operator.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import { InboundNumber } from '../gateways/index.js';
import { withClient } from '../../db/raw-client.js';
import { storeInboundOn, type StoredInbound } from './intake.queries.js';
import { asE164 } from './intake.js';

/** As the webhook: any sender of 1 to 40 characters (a sender that is no phone number is kept). */
export const MAX_SENDER = 40;
/** Ten concatenated parts of 160 characters. */
export const MAX_SIMULATED_TEXT = 1_600;

export interface SimulatedSms {
  from?: string;
  to?: string;
  text?: string;
}

/** The account's inbound numbers that arrive through a simulator gateway: the form's choices. */
export function simulatorNumbers(em: EntityManager): Promise<InboundNumber[]> {
  return em.find(InboundNumber, { gateway: { kind: 'simulator' } }, { populate: ['gateway'], orderBy: { number: 'asc' } });
}

const length = (text: string) => [...text].length;

/** Stores the typed SMS as received now; a field error for each rule broken, and nothing stored. */
export async function simulateInbound(em: EntityManager, accountId: string, input: SimulatedSms): Promise<StoredInbound> {
  const errors: Record<string, string> = {};
  const from = (input.from ?? '').trim();
  const text = input.text ?? '';
  if (!from) errors.from = 'Give the sender: a phone number (or any text of 1 to 40 characters, as a gateway may pass).';
  else if (length(from) > MAX_SENDER) errors.from = `A sender can have at most ${MAX_SENDER} characters; this one has ${length(from)}.`;
  if (length(text) > MAX_SIMULATED_TEXT) errors.text = `An SMS can have at most ${MAX_SIMULATED_TEXT.toLocaleString('en')} characters; this one has ${length(text).toLocaleString('en')}.`;
  const number = (await simulatorNumbers(em)).find((candidate) => candidate.id === input.to);
  if (!number) errors.to = 'Choose one of your inbound numbers on a simulator gateway.';
  if (Object.keys(errors).length || !number) throw new ValidationError(errors, 'The message was not received: correct the highlighted fields.');
  const sms = { gatewayMessageId: `typed-${randomUUID()}`, from, to: number.number, text, receivedAt: new Date() };
  const [stored] = await withClient(em, (client) => storeInboundOn(client, [{ gateway: { id: number.gateway.id, accountId }, sms, numbers: { from: asE164(from), to: number.number } }]));
  return stored!;
}
