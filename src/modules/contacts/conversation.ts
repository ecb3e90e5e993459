// A contact's conversation: the SMS it sent us and the ones we sent it, in one timeline on its
// page. Contacts know nothing of inbound or sending: the inbound module registers the reader at
// start-up (src/wiring.ts); without one there is no conversation to show.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface ConversationEntry {
  direction: 'in' | 'out';
  text: string;
  at: Date;
  /** in: what it was read as (STOP, an event keyword, inbox…); out: the campaign or reply, and its status. */
  about: string;
  /** The inbound number it was sent to, or the sender it came from. */
  number: string | null;
}

export type ConversationReader = (em: EntityManager, accountId: string, contact: { id: number; phone: string }, limit: number) => Promise<ConversationEntry[]>;

let reader: ConversationReader | null = null;

/** Registers the reader; the inbound module registers it once, at start-up. */
export function registerConversation(read: ConversationReader): void {
  reader = read;
}

/** The newest `limit` entries, oldest first (as a conversation reads). */
export async function conversationOf(em: EntityManager, accountId: string, contact: { id: number; phone: string }, limit: number): Promise<ConversationEntry[]> {
  return reader ? reader(em, accountId, contact, limit) : [];
}
