// The writes of one round of a lane (processor.ts): messages from distinct senders, processed side
// by side. Each message asks for at most one write (a consent change, a new contact, an email, a
// number opt-out) and waits for its answer; `flush()` then makes all of them with one statement
// of each kind (consent.queries.ts), instead of a few statements per message.
import type pg from 'pg';
import { createKeywordContactsOn, setEmailsOn, setOptInsOn, type KeywordContact, type NewKeywordContact, type OptInChange } from '../contacts/index.js';
import { optOutOfNumbersOn } from './intake.queries.js';

/** Items waiting for one statement that answers each. */
class Pending<T, R> {
  private items: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => this.items.push({ item, resolve, reject }));
  }

  async run(write: (items: T[]) => Promise<R[]>): Promise<void> {
    const items = this.items;
    this.items = [];
    if (!items.length) return;
    try {
      const results = await write(items.map((pending) => pending.item));
      items.forEach((pending, index) => pending.resolve(results[index]!));
    } catch (error) {
      for (const pending of items) pending.reject(error);
      throw error;
    }
  }
}

export interface NumberOptOut {
  accountId: string;
  contactId: string;
  numberId: string;
  keyword: string;
}

export class RoundWrites {
  private readonly optIns = new Pending<OptInChange, boolean>();
  private readonly contacts = new Pending<NewKeywordContact, KeywordContact>();
  private readonly emails = new Pending<{ accountId: string; contactId: string; email: string }, void>();
  private readonly numberOptOuts = new Pending<NumberOptOut, void>();
  private flushed = false;

  /** Opts a contact in or out, or (no contact) suppresses a number or no longer; answers whether
   * that changed anything. */
  setOptIn(change: OptInChange): Promise<boolean> {
    return this.join(this.optIns, change);
  }

  createContact(contact: NewKeywordContact): Promise<KeywordContact> {
    return this.join(this.contacts, contact);
  }

  setEmail(accountId: string, contactId: string, email: string): Promise<void> {
    return this.join(this.emails, { accountId, contactId, email });
  }

  optOutOfNumber(optOut: NumberOptOut): Promise<void> {
    return this.join(this.numberOptOuts, optOut);
  }

  /** Makes the round's writes on `client` (inside the lane's transaction). */
  async flush(client: pg.ClientBase): Promise<void> {
    this.flushed = true;
    await this.optIns.run(async (changes) => (await setOptInsOn(client, changes)).map((result) => result.changed));
    await this.contacts.run((contacts) => createKeywordContactsOn(client, contacts));
    await this.emails.run(async (emails) => (await setEmailsOn(client, emails), emails.map(() => undefined)));
    await this.numberOptOuts.run(async (optOuts) => (await optOutOfNumbersOn(client, optOuts), optOuts.map(() => undefined)));
  }

  private join<T, R>(pending: Pending<T, R>, item: T): Promise<R> {
    // A second write of a message would wait for a flush that never comes.
    if (this.flushed) throw new Error('a message asked for a second write in its round');
    return pending.add(item);
  }
}
