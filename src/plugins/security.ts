// Cookies, forms, security headers, CSRF and rate limiting.
// CSP needs neither 'unsafe-inline' nor 'unsafe-eval': pages use no inline script or style, and
// htmx 4 evaluates code only for hx-on, trigger filters and js: values, which Textcast never uses.
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { isMachineRoute, routePath } from './route-path.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes authenticated by something other than a browser cookie carry no CSRF token. */
function exemptFromCsrf(request: FastifyRequest): boolean {
  // /u/<token>: the unsubscribe page of a message, for recipients who have no session.
  return isMachineRoute(request) || routePath(request).startsWith('/u/');
}

export const securityPlugin = fp<{ secret: string; secureCookies: boolean }>(async (app, { secret, secureCookies }) => {
  await app.register(cookie, { secret });
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: secureCookies ? [] : null,
      },
    },
    strictTransportSecurity: secureCookies,
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'tc_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies, signed: true },
    // Tokens are bound to the session (or to "signed out" on the login form), so a token from
    // one browser session cannot be replayed in another.
    getUserInfo: (request) => request.sessionId ?? 'anonymous',
    csrfOpts: { hmacKey: secret },
  });
  await app.register(rateLimit, { global: false });

  app.addHook('preHandler', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method) || exemptFromCsrf(request)) return done();
    app.csrfProtection(request, reply, done);
  });
});

declare module 'fastify' {
  interface FastifyReply {
    /** The CSRF token for forms and htmx requests of this response. */
    csrfToken(): string;
  }
}

export const csrfTokenPlugin = fp(async (app) => {
  app.decorateReply('csrfToken', function () {
    return this.generateCsrf({ userInfo: this.request.sessionId ?? 'anonymous' });
  });
});
