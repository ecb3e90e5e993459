// Sign in and sign out. Sign-in is rate-limited per IP (in the process) and per email (in the
// database, shared by every process); a new session id is issued on every sign-in.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ACROSS_ACCOUNTS } from '../../db/tenant.js';
import { ValidationError } from '../../errors.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, OptionalText } from '../../plugins/schemas.js';
import { User } from './user.entity.js';
import { normaliseEmail } from './accounts.service.js';
import { verifyPassword, timingDummyHash } from './passwords.js';
import { startSession, endSession, SESSION_COOKIE } from './sessions.js';
import { recentFailures, recordFailure, clearFailures, EMAIL_FAILURE_LIMIT, EMAIL_FAILURE_WINDOW_MINUTES } from './login-attempts.queries.js';

/** Where to go after signing in: a path of this site (the login redirect carries the URL asked for). */
const Next = OptionalText(4096);
/** Long passwords are fine (argon2 takes any length); megabytes of one are not. */
// An email address has at most 254 characters (RFC 5321), as the one a user signed up with.
const LoginForm = Form({ email: OptionalText(254), password: OptionalText(4096), next: Next });

/** Where to go after signing in: a path of this site only. Browsers drop tabs and line breaks
 * and read a backslash as a slash, so `/\t/evil.example` or `/\\evil.example` would leave the
 * site: anything with a control character, a backslash, or a start of `//` is refused, and what
 * is left must resolve to this origin. */
export function safeNext(next: unknown): string {
  const fallback = '/dashboard';
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || /[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  const base = 'http://textcast.invalid';
  const url = new URL(next, base);
  return url.origin === base ? url.pathname + url.search + url.hash : fallback;
}

function renderLogin(reply: FastifyReply, values: { email?: string; next?: string }, error: string | null, status?: number) {
  return reply.page('accounts/login', { values, error }, { title: 'Sign in', status });
}

export async function authRoutes(app: TypedApp) {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: app.config.publicUrl.startsWith('https://'),
    maxAge: app.config.sessionMaxSeconds,
  };

  app.get('/login', { config: { access: 'public' }, schema: { querystring: Type.Object({ next: Next }) } }, async (request, reply) => {
    if (request.user) return reply.redirect(safeNext(request.query.next), 303);
    return renderLogin(reply, { next: request.query.next }, null);
  });

  app.post(
    '/login',
    {
      config: {
        access: 'public',
        rateLimit: {
          max: 20,
          timeWindow: '1 minute',
          errorResponseBuilder: (_request, context) => ({
            statusCode: 429,
            message: `Too many sign-in attempts from your network. Try again in ${Math.ceil(context.ttl / 1000)} seconds.`,
          }),
        },
      },
      schema: { body: LoginForm },
      // A missing or malformed field (repeated, a NUL byte...): the sign-in form again, with why.
      errorHandler: formErrors((_request, reply, { values, message }) => renderLogin(reply, { email: values.email, next: values.next }, message)),
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email ?? '');
      const password = request.body.password ?? '';
      const next = request.body.next;
      if (!email || !password) throw new ValidationError({ ...(email ? {} : { email: 'Enter your email.' }), ...(password ? {} : { password: 'Enter your password.' }) }, 'Enter your email and password.');
      if ((await recentFailures(request.em, email)) >= EMAIL_FAILURE_LIMIT) {
        return renderLogin(reply, { email, next }, `Too many failed sign-ins for this email. Try again in ${EMAIL_FAILURE_WINDOW_MINUTES} minutes.`, 429);
      }
      const user = await request.em.findOne(User, { email }, { ...ACROSS_ACCOUNTS, populate: ['account'] });
      // Unknown emails cost the same hash verification as known ones, so timing tells nothing.
      const valid = await verifyPassword(user?.passwordHash ?? (await timingDummyHash()), password);
      if (!user || !valid || user.disabledAt) {
        await recordFailure(request.em, email);
        const message = user?.disabledAt && valid ? 'This user has been disabled. Ask an owner of your account.' : 'Wrong email or password.';
        return renderLogin(reply, { email, next }, message, 401);
      }
      await clearFailures(request.em, email);
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await endSession(request.em, previous);
      user.lastLoginAt = new Date();
      const token = await startSession(request.em, user, { ip: request.ip, userAgent: request.headers['user-agent'] });
      request.log.info({ user: user.id, account: user.account.id }, 'signed in');
      reply.setCookie(SESSION_COOKIE, token, cookieOptions);
      return reply.redirect(safeNext(next), 303);
    },
  );

  app.post('/logout', { config: { role: 'viewer' }, schema: { body: EmptyForm() } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await endSession(request.em, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (request.headers['hx-request']) return reply.header('HX-Redirect', '/login').code(204).send();
    return reply.redirect('/login', 303);
  });
}
