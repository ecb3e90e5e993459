// Fixtures for inbound tests: an account whose simulator gateway has an inbound number, a way to
// post an SMS to the inbound webhook as the gateway would, and the processor and reply sender
// run by hand (one tick each), so a test sees each step happen.
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../../src/modules/gateways/inbound-number.entity.js';
import { defaultKeywords } from '../../src/modules/inbound/keywords.js';
import { InboundProcessor } from '../../src/modules/inbound/processor.js';
import { ReplySender } from '../../src/modules/sending/replies.js';
import { query } from '../sending/helpers.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';

export const NUMBER = '+33644000000';

let sent = 0;

export async function inboundNumber(orm: MikroORM, account: Account, number = NUMBER, country = 'FR') {
  const em = withAccount(orm.em.fork(), account.id);
  const gateway = await em.findOneOrFail(Gateway, { isDefault: true });
  const keywords = defaultKeywords(country);
  const inbound = em.create(InboundNumber, {
    account: account.id,
    number,
    country,
    gateway,
    optOutKeywords: keywords.optOut,
    optInKeywords: keywords.optIn,
    helpKeywords: keywords.help,
    helpReply: 'Acme: reply STOP to unsubscribe.',
    optOutReply: 'You are unsubscribed from Acme.',
    optInReply: 'You are subscribed to Acme again.',
  });
  await em.flush();
  return { gateway, inbound };
}

/** Posts an SMS to the gateway's inbound webhook, as the simulator's JSON. */
export function receive(app: FastifyInstance, gateway: { id: string; secret: string }, sms: { from: string; text: string; to?: string; id?: string; receivedAt?: Date }) {
  return app.inject({
    method: 'POST',
    url: `/webhooks/${gateway.id}/inbound`,
    headers: { authorization: `Bearer ${gateway.secret}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ id: sms.id ?? `sms-${++sent}-${Date.now()}`, from: sms.from, to: sms.to ?? NUMBER, text: sms.text, received_at: (sms.receivedAt ?? new Date()).toISOString() }),
  });
}

/** The processor and the reply sender, run by hand (replies name `publicUrl` for their reports). */
export function workers(orm: MikroORM, options: { publicUrl?: string } = {}) {
  const log = pino({ level: 'silent' });
  const processor = new InboundProcessor(orm, log);
  const replies = new ReplySender(orm, log, options.publicUrl ?? 'http://localhost:3000');
  return {
    process: () => processor.tick(),
    sendReplies: () => replies.tick(),
    /** Processes what arrived and sends the replies it asked for. */
    async settle() {
      await processor.tick();
      await replies.tick();
    },
  };
}

export interface InboundRow {
  id: string;
  status: string;
  classification: string | null;
  keyword: string | null;
  contact_id: string | null;
  in_inbox: boolean;
  inbox_text: string | null;
  captured_email: string | null;
  error: string | null;
}

export const inboundRows = (orm: MikroORM, accountId: string) => query<InboundRow>(orm, 'select * from inbound_message where account_id = ? order by id', [accountId]);

export const replies = (orm: MikroORM, accountId: string) =>
  query<{ phone: string; body: string; status: string; is_confirmation: boolean; cost_micros: string | null; skip_reason: string | null }>(
    orm,
    'select phone, body, status, is_confirmation, cost_micros, skip_reason from message where account_id = ? and campaign_id is null order by id',
    [accountId],
  );

/** Just the inbound number (for tests that do not post messages). */
export async function addInboundNumber(orm: MikroORM, account: Account, number = NUMBER, country = 'FR') {
  return (await inboundNumber(orm, account, number, country)).inbound;
}

/** A campaign that was sent to each phone at the given time (the message rows a dispatch leaves). */
export async function campaignSentTo(orm: MikroORM, account: Account, name: string, sends: { phone: string; at: Date }[]) {
  const em = withAccount(orm.em.fork(), account.id);
  const campaign = em.create(Campaign, { account: account.id, name, sender: 'ACME', body: 'Hi', createdBy: 'test', status: 'sent' });
  await em.flush();
  for (const { phone, at } of sends) {
    await query(orm, `insert into message (account_id, campaign_id, phone, status, sent_at) values (?, ?, ?, 'delivered', ?)`, [account.id, campaign.id, phone, at]);
  }
  return campaign;
}

/** A contact with a name. */
export async function contactNamed(orm: MikroORM, account: Account, phone: string, firstName: string | null, lastName: string | null = null) {
  const em = withAccount(orm.em.fork(), account.id);
  const contact = em.create(Contact, { account: account.id, phone, country: 'FR', firstName, lastName });
  await em.flush();
  return contact;
}
