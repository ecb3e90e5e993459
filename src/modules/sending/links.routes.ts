// The short links in sent messages, public and unguessable (a per-message token):
//   GET  /u/<token>  asks the recipient to confirm (link scanners only ever GET, so a GET
//                    changes nothing); POST opts the contact out, source "unsubscribe link".
//   GET  /l/<token><n> records a click on link n of the campaign for this message and redirects.
// A token of the wrong shape (checked by the params schema, before any query) is the same
// "Link not found" page as an unknown one.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError } from '../../errors.js';
import { withAccount } from '../../db/tenant.js';
import type { TypedApp } from '../../plugins/validation.js';
import { EmptyForm } from '../../plugins/schemas.js';
import { Contact, changeOptIn } from '../contacts/index.js';
import { TOKEN_LENGTH, linkPosition } from '../campaigns/index.js';
import { campaignLink, markUnsubscribed, messageOfToken, recordClick } from './links.queries.js';

const TOKEN_CHARS = '[0-9A-Za-z]';
/** /u/<token> */
const TokenParams = Type.Object({ token: Type.String({ pattern: `^${TOKEN_CHARS}{${TOKEN_LENGTH}}$` }) });
/** /l/<token><n>: the token and one character for the link's position. */
const LinkParams = Type.Object({ token: Type.String({ pattern: `^${TOKEN_CHARS}{${TOKEN_LENGTH + 1}}$` }) });

const notFound = { status: 404, message: 'This link is not valid. It may have been mistyped.' };
const linkNotFound = (reply: FastifyReply) => reply.page('errors/page', notFound, { title: 'Link not found', status: 404 });

/** The route error handler: a malformed token (404 from the params schema or the text check) is
 * the page of an unknown one; anything else goes on to the app's handler. */
async function malformedLink(error: FastifyError | NotFoundError, _request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (!(error instanceof NotFoundError)) throw error;
  return linkNotFound(reply);
}

const masked = (phone: string) => phone.slice(0, 4) + '•'.repeat(Math.max(0, phone.length - 6)) + phone.slice(-2);

export async function linkRoutes(app: TypedApp) {
  const PUBLIC = { access: 'public' as const };

  app.get('/u/:token', { config: PUBLIC, schema: { params: TokenParams }, errorHandler: malformedLink }, async (request, reply) => {
    const message = await messageOfToken(request.em, request.params.token);
    if (!message) return linkNotFound(reply);
    return reply.page('sending/unsubscribe', { token: request.params.token, phone: masked(message.phone), text: message.unsubscribe_page_text, done: Boolean(message.unsubscribed_at) }, { title: 'Unsubscribe' });
  });

  app.post('/u/:token', { config: PUBLIC, schema: { params: TokenParams, body: EmptyForm() }, errorHandler: malformedLink }, async (request, reply) => {
    const message = await messageOfToken(request.em, request.params.token);
    if (!message) return linkNotFound(reply);
    const em = withAccount(request.em, message.account_id);
    await em.transactional(async (tx) => {
      const contact = message.contact_id ? await tx.findOne(Contact, { id: Number(message.contact_id) }, { populate: ['account'] }) : null;
      if (contact && contact.smsOptIn !== false) await changeOptIn(tx, contact, false, 'unsubscribe_link', 'unsubscribe link');
      await markUnsubscribed(tx, message.account_id, message.id);
    });
    return reply.page('sending/unsubscribe', { token: request.params.token, phone: masked(message.phone), text: message.unsubscribe_page_text, done: true }, { title: 'Unsubscribed' });
  });

  // Short links are public: one address gets at most 120 redirects a minute.
  app.get('/l/:token', { config: { ...PUBLIC, rateLimit: { max: 120, timeWindow: '1 minute' } }, schema: { params: LinkParams }, errorHandler: malformedLink }, async (request, reply) => {
    const full = request.params.token;
    const message = await messageOfToken(request.em, full.slice(0, TOKEN_LENGTH));
    const position = linkPosition(full.slice(TOKEN_LENGTH));
    const link = message && position > 0 ? await campaignLink(request.em, message.account_id, message.campaign_id, position) : null;
    if (!message || !link) return linkNotFound(reply);
    await recordClick(request.em, message.account_id, link.id, message.id);
    return reply.redirect(link.url, 302);
  });
}
