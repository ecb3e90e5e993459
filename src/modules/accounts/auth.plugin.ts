// Who is asking, and may they? One onRequest hook for every route:
// - routes with `config: { access: 'public' }` need nobody (login, health, static files, webhooks);
// - `/api/` routes need `Authorization: Bearer <api key>`;
// - every other route needs a browser session. GET/HEAD need any role; anything that changes
//   state needs `config.role` (default marketer), so a viewer changes nothing.
// The request's EntityManager is then scoped to the caller's account (db/tenant.ts). Each API key
// then spends from its own budget of requests a minute (429 with Retry-After beyond it).
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { scopeToAccount, ACROSS_ACCOUNTS } from '../../db/tenant.js';
import type { Account } from './account.entity.js';
import type { User, UserRole } from './user.entity.js';
import { ApiKey } from './api-key.entity.js';
import { hashApiKey } from './accounts.service.js';
import { resumeSession, SESSION_COOKIE, type SessionLimits } from './sessions.js';
import { AppError, ForbiddenError } from '../../errors.js';
import { isApiRoute } from '../../plugins/route-path.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: 'public';
    /** The least role that may call this route when it changes state (default marketer). */
    role?: UserRole;
  }
  interface FastifyRequest {
    user: User | null;
    account: Account | null;
    sessionId: string | null;
    /** Who acts, for audit trails: "user:<email>" or "api-key:<name>". */
    actor: string;
    /** The API key of an /api/ request, once authenticated (its rate limit is counted by it). */
    apiKeyId: string | null;
  }
}

const isAsset = (url: string) => url.startsWith('/static/') || url.startsWith('/vendor/');

const RANK: Record<UserRole, number> = { viewer: 1, marketer: 2, owner: 3 };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Route options of a route only owners may call (when it changes state). */
export const OWNER_ONLY = { config: { role: 'owner' as const } };

export function hasRole(user: User, least: UserRole): boolean {
  return RANK[user.role as UserRole] >= RANK[least];
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Please sign in.') {
    super(401, 'unauthenticated', message);
  }
}

async function authenticateApiKey(request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Send your API key as "Authorization: Bearer <key>".');
  const apiKey = await request.em.findOne(ApiKey, { keyHash: hashApiKey(match[1]), revokedAt: null }, { ...ACROSS_ACCOUNTS, populate: ['account'] });
  if (!apiKey) throw new UnauthenticatedError('This API key is unknown or revoked.');
  request.account = apiKey.account;
  request.actor = `api-key:${apiKey.name}`;
  request.apiKeyId = apiKey.id;
  scopeToAccount(request.em, apiKey.account.id);
  // Recorded at most once a minute so a busy key does not write on every call.
  if (!apiKey.lastUsedAt || Date.now() - apiKey.lastUsedAt.getTime() > 60_000) {
    await request.em.nativeUpdate(ApiKey, { id: apiKey.id }, { lastUsedAt: new Date() });
  }
}

function sendToLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = encodeURIComponent(request.url);
  if (request.headers['hx-request']) {
    return reply.header('HX-Redirect', `/login?next=${next}`).code(204).send();
  }
  return reply.redirect(`/login?next=${next}`, 303);
}

export class RateLimitedError extends AppError {
  constructor(message: string) {
    super(429, 'rate_limited', message);
  }
}

export const authPlugin = fp<{ limits: SessionLimits; apiRequestsPerMinute: number }>(async (app, { limits, apiRequestsPerMinute }) => {
  app.decorateRequest('user', null);
  app.decorateRequest('account', null);
  app.decorateRequest('sessionId', null);
  app.decorateRequest('actor', 'system');
  app.decorateRequest('apiKeyId', null);

  // Counted per key, not per address: one integration behind many addresses is still one caller,
  // and callers behind one proxy do not share a budget. In this process's memory (@fastify/rate-limit).
  const limitApiKey = app.rateLimit({
    max: apiRequestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `api-key:${request.apiKeyId}`,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`Too many requests with this API key: at most ${apiRequestsPerMinute.toLocaleString('en')} a minute. Try again in ${Math.ceil(context.ttl / 1000)} seconds.`),
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const token = request.cookies[SESSION_COOKIE];
    if (isAsset(request.url)) return;
    if (config.access === 'public') {
      // Public pages still know a signed-in visitor (the login page sends them on).
      if (token) await attachSession(request, token);
      return;
    }
    if (isApiRoute(request)) {
      await authenticateApiKey(request);
      return limitApiKey.call(app, request, reply);
    }
    if (!token || !(await attachSession(request, token))) {
      // Unknown routes answer 404 to everyone rather than revealing that they need a login.
      if (!request.routeOptions.url) return;
      return sendToLogin(request, reply);
    }
    if (!READ_METHODS.has(request.method) && !hasRole(request.user!, config.role ?? 'marketer')) {
      throw new ForbiddenError(request.user!.role === 'viewer' ? 'Viewers can look at everything but change nothing.' : 'Only an owner of the account can do that.');
    }
  });

  // A signed-in page holds the account's data: no browser or proxy keeps a copy of it.
  app.addHook('onSend', async (request, reply) => {
    if (request.sessionId && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  async function attachSession(request: FastifyRequest, token: string): Promise<boolean> {
    const session = await resumeSession(request.em, token, limits);
    if (!session) return false;
    request.user = session.user;
    request.account = session.account;
    request.sessionId = session.id;
    request.actor = `user:${session.user.email}`;
    scopeToAccount(request.em, session.account.id);
    return true;
  }
});
