// The messages a contact received, listed on its page. Contacts know nothing of sending: the
// sending module registers the reader at start-up (src/wiring.ts); without one the list is empty.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface ContactMessage {
  /** The page of the campaign it belongs to; null for a reply to the contact's SMS. */
  href: string | null;
  /** The campaign's name, or what the message was for when it belongs to none. */
  campaign: string;
  /** A test send of that campaign to the contact's number. */
  test: boolean;
  /** queued, sent, delivered…; skipped ones with their reason ("skipped: opted out"). */
  status: string;
  sentAt: Date | null;
  parts: number | null;
  costMicros: number | null;
}

export interface ContactMessages {
  total: number;
  /** The newest first, at most the number asked for. */
  newest: ContactMessage[];
}

export type MessageHistoryReader = (em: EntityManager, accountId: string, contactId: number, limit: number) => Promise<ContactMessages>;

let reader: MessageHistoryReader | null = null;

/** Registers the reader; the sending module registers it once, at start-up. */
export function registerMessageHistory(read: MessageHistoryReader): void {
  reader = read;
}

export async function messagesOfContact(em: EntityManager, accountId: string, contactId: number, limit: number): Promise<ContactMessages> {
  return reader ? reader(em, accountId, contactId, limit) : { total: 0, newest: [] };
}
