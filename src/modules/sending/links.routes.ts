// The short links in sent messages, public and unguessable (a per-message token):
//   GET  /u/<token>  asks the recipient to confirm (link scanners only ever GET, so a GET
//                    changes nothing); POST opts the contact out, source "unsubscribe link".
//   GET  /l/<token><n> records a click on link n of the campaign for this message and redirects.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withAccount } from '../../db/tenant.js';
import { Contact } from '../contacts/index.js';
import { changeOptIn } from '../contacts/index.js';
import { TOKEN_LENGTH, linkPosition } from '../campaigns/index.js';

const TOKEN = new RegExp(`^[0-9A-Za-z]{${TOKEN_LENGTH}}$`);
const PUBLIC = { config: { access: 'public' as const } };

interface MessageOfToken {
  id: string;
  account_id: string;
  campaign_id: string;
  contact_id: string | null;
  phone: string;
  unsubscribed_at: Date | null;
}

type WithToken = FastifyRequest<{ Params: { token: string } }>;

export async function linkRoutes(app: FastifyInstance) {
  const messageOf = async (request: FastifyRequest, token: string): Promise<MessageOfToken | null> => {
    if (!TOKEN.test(token)) return null;
    const rows = await request.em.getConnection().execute<MessageOfToken[]>('select id, account_id, campaign_id, contact_id, phone, unsubscribed_at from message where token = ?', [token]);
    return rows[0] ?? null;
  };
  const masked = (phone: string) => phone.slice(0, 4) + '•'.repeat(Math.max(0, phone.length - 6)) + phone.slice(-2);
  const notFound = { status: 404, message: 'This link is not valid. It may have been mistyped.' };

  app.get('/u/:token', PUBLIC, async (request: WithToken, reply) => {
    const message = await messageOf(request, request.params.token);
    if (!message) return reply.page('errors/page', notFound, { title: 'Link not found', status: 404 });
    return reply.page('sending/unsubscribe', { token: request.params.token, phone: masked(message.phone), done: Boolean(message.unsubscribed_at) }, { title: 'Unsubscribe' });
  });

  app.post('/u/:token', PUBLIC, async (request: WithToken, reply) => {
    const message = await messageOf(request, request.params.token);
    if (!message) return reply.page('errors/page', notFound, { title: 'Link not found', status: 404 });
    const em = withAccount(request.em, message.account_id);
    await em.transactional(async (tx) => {
      const contact = message.contact_id ? await tx.findOne(Contact, { id: Number(message.contact_id) }, { populate: ['account'] }) : null;
      if (contact && contact.smsOptIn !== false) await changeOptIn(tx, contact, false, 'unsubscribe_link', 'unsubscribe link');
      await tx.getConnection().execute('update message set unsubscribed_at = coalesce(unsubscribed_at, now()) where account_id = ? and id = ?', [message.account_id, message.id], 'run', tx.getTransactionContext());
    });
    return reply.page('sending/unsubscribe', { token: request.params.token, phone: masked(message.phone), done: true }, { title: 'Unsubscribed' });
  });

  app.get('/l/:token', PUBLIC, async (request: WithToken, reply) => {
    const full = request.params.token;
    const message = await messageOf(request, full.slice(0, TOKEN_LENGTH));
    const position = full.length === TOKEN_LENGTH + 1 ? linkPosition(full.slice(TOKEN_LENGTH)) : 0;
    const rows = message && position > 0
      ? await request.em.getConnection().execute<{ id: string; url: string }[]>('select id, url from link where account_id = ? and campaign_id = ? and position = ?', [message.account_id, message.campaign_id, position])
      : [];
    if (!message || !rows[0]) return reply.page('errors/page', notFound, { title: 'Link not found', status: 404 });
    await request.em.getConnection().execute('insert into click (account_id, link_id, message_id) values (?, ?, ?)', [message.account_id, rows[0].id, message.id]);
    return reply.redirect(rows[0].url, 302);
  });
}
