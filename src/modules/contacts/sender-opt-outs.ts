// The sender numbers a contact opted out of alone (an inbound event of type
// inboundUnsubscribeHandler): campaigns from those numbers skip it, every other sender still
// reaches it, and its page says so. The record is the sending module's (it honours it); sending
// registers the reader at start-up (src/wiring.ts); without one the page lists none.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface SenderOptOut {
  number: string;
  keyword: string;
  at: Date;
}

export type SenderOptOutReader = (em: EntityManager, accountId: string, contactId: number) => Promise<SenderOptOut[]>;

let reader: SenderOptOutReader | null = null;

export function registerSenderOptOuts(read: SenderOptOutReader): void {
  reader = read;
}

export async function senderOptOutsOf(em: EntityManager, accountId: string, contactId: number): Promise<SenderOptOut[]> {
  return reader ? reader(em, accountId, contactId) : [];
}
