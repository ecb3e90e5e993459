// Which kind of route a request is for, decided on the route that matched, not on the raw URL:
// the router decodes percent-escapes, so `/%61pi/v1/account` reaches the `/api/v1/account` route
// while its raw URL does not start with `/api/`. Unmatched requests (404s) fall back to the path.
import type { FastifyRequest } from 'fastify';

export function routePath(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0];
}

/** The JSON API: a Bearer key, no session, no CSRF. */
export function isApiRoute(request: FastifyRequest): boolean {
  return routePath(request).startsWith('/api/');
}

/** Routes whose callers are programs: errors are JSON. */
export function isMachineRoute(request: FastifyRequest): boolean {
  const path = routePath(request);
  return path.startsWith('/api/') || path.startsWith('/webhooks/') || path === '/healthz';
}

/** API v2, shaped like the reference product's: answers carry `replyCode` and `replyText`. */
export function isReplyCodeRoute(request: FastifyRequest): boolean {
  return routePath(request).startsWith('/api/v2/');
}
