// What every test file needs: a fresh database cloned from the migrated template, the app built
// on it, accounts and users, and a browser-like client that keeps cookies and CSRF tokens.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { inspect } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import diagnostics from 'node:diagnostics_channel';
import type { FastifyBaseLogger, FastifyInstance, FastifySchema, LightMyRequestResponse, RouteOptions } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildApp } from '../src/app.js';
import { startScheduler, type Scheduler } from '../src/jobs.js';
import { loadConfig, type Config } from '../src/config.js';
import { openOrm } from '../src/orm.js';
import { createAccount, createUser, createApiKey } from '../src/modules/accounts/accounts.service.js';
import { Account } from '../src/modules/accounts/account.entity.js';
import type { User, UserRole } from '../src/modules/accounts/user.entity.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

function serverUrl(): string {
  const url = process.env.TEST_SERVER_URL;
  if (!url) throw new Error('run tests with `npm test` (it starts the test database server)');
  return url;
}

function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = '/' + name;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database (cloned from the template) and how to drop it. */
async function newDatabase(): Promise<{ url: string; drop: () => Promise<unknown> }> {
  const name = `tc_t${process.env.TEST_RUN_ID}_${crypto.randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database "${name}" template "${process.env.TEST_TEMPLATE_DB}"`));
  return { url: databaseUrl(name), drop: () => admin((client) => client.query(`drop database if exists "${name}" with (force)`)) };
}

/** A fresh, migrated database for one test file, dropped when the test ends. */
export async function createTestDatabase(t: Teardown): Promise<string> {
  const { url, drop } = await newDatabase();
  t.teardown(drop);
  return url;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: path.join(os.tmpdir(), 'textcast-test'), LOG_LEVEL: 'silent', ...env });
}

export interface TestApp {
  app: FastifyInstance;
  orm: MikroORM;
  databaseUrl: string;
  /** With `listen`: the server's base URL (also its PUBLIC_URL, so webhooks reach it). */
  base: string;
  scheduler: Scheduler | null;
}

export interface TestAppOptions {
  /** Run Agenda jobs (launches, dispatch, the simulator's reports) in this process. */
  jobs?: boolean;
  /** Listen on a free local port, with PUBLIC_URL pointing at it. */
  listen?: boolean;
  /** Where the app logs (default: nowhere). */
  logger?: FastifyBaseLogger;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The app on a fresh database. `extend` may add routes before the app is ready. */
export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, extend?: (app: FastifyInstance) => void, options: TestAppOptions = {}): Promise<TestApp> {
  const { url, drop } = await newDatabase();
  const orm = await openOrm(url, 6);
  const port = options.listen ? await freePort() : 0;
  const base = options.listen ? `http://127.0.0.1:${port}` : 'http://localhost:3000';
  const config = testConfig({ ...(options.listen ? { PUBLIC_URL: base } : {}), ...env });
  const scheduler = options.jobs
    ? await startScheduler({ orm, databaseUrl: url, processJobs: true, log: pino({ level: 'silent' }), sessionLimits: { idleSeconds: 3600, maxSeconds: 3600 }, claimLeaseSeconds: config.claimLeaseSeconds, publicUrl: config.publicUrl, email: { smtpUrl: config.smtpUrl, from: config.emailFrom } })
    : null;
  const app = await buildApp({ config, orm, scheduler, sessionSecret: 'test-secret-' + crypto.randomBytes(8).toString('hex'), logger: options.logger ?? false });
  extend?.(app);
  await app.ready();
  if (options.listen) await app.listen({ port, host: '127.0.0.1' });
  // One teardown, in order: jobs stop while the database is still there, the database goes last.
  t.teardown(async () => {
    await scheduler?.stop(5_000);
    await app.close();
    await orm.close();
    await drop();
  });
  return { app, orm, databaseUrl: url, base, scheduler };
}

export interface EventuallyOptions {
  /** How long to keep asking, wall-clock milliseconds (default 20 s). */
  timeoutMs?: number;
  /** The pause between two asks, milliseconds (default 100). */
  intervalMs?: number;
}

export interface EventuallyUntil<T> extends EventuallyOptions {
  /** When a value is the one waited for (instead of: when it is truthy). */
  until: (value: T) => boolean;
}

type Falsy = false | 0 | '' | null | undefined;

/** The one way tests wait for something that happens in the background (a job, another process):
 * asks `fn` again and again, `intervalMs` apart, and returns its first truthy value (or, with
 * `until`, its first value that `until` accepts). An error thrown by `fn` ends the wait at once (a
 * condition that can no longer come true, e.g. the process died). After `timeoutMs` it throws an
 * error naming `what` and the last value `fn` returned. */
export async function eventually<T, U extends T>(what: string, fn: () => T | Promise<T>, options: EventuallyOptions & { until: (value: T) => value is U }): Promise<U>;
export async function eventually<T>(what: string, fn: () => T | Promise<T>, options: EventuallyUntil<T>): Promise<T>;
export async function eventually<T>(what: string, fn: () => T | Promise<T>, options?: EventuallyOptions): Promise<Exclude<T, Falsy>>;
export async function eventually<T>(what: string, fn: () => T | Promise<T>, options: EventuallyOptions & { until?: (value: T) => boolean } = {}): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 100, until = (value: T) => Boolean(value) } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (until(value)) return value;
    if (Date.now() >= deadline) {
      const last = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 300 });
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the last value was ${last.length > 1000 ? last.slice(0, 1000) + '…' : last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const PASSWORD = 'correct horse battery';

export interface Tenant {
  account: Account;
  owner: User;
}

let counter = 0;

/** An account with an owner (password PASSWORD). */
export async function createTenant(orm: MikroORM, name = 'Account ' + ++counter): Promise<Tenant> {
  const em = orm.em.fork();
  const account = createAccount(em, { name, timeZone: 'Europe/Paris' });
  const owner = await createUser(em, account, { email: `owner-${crypto.randomBytes(4).toString('hex')}@example.com`, password: PASSWORD, role: 'owner' });
  await em.flush();
  return { account, owner };
}

export async function addUser(orm: MikroORM, account: Account, role: UserRole): Promise<User> {
  const em = orm.em.fork();
  const user = await createUser(em, em.getReference(Account, account.id), {
    email: `${role}-${crypto.randomBytes(4).toString('hex')}@example.com`,
    password: PASSWORD,
    role,
  });
  await em.flush();
  return user;
}

export async function createKey(orm: MikroORM, account: Account): Promise<string> {
  const em = orm.em.fork();
  const { key } = createApiKey(em, em.getReference(Account, account.id), 'test key');
  await em.flush();
  return key;
}

/** A browser-like client over app.inject: keeps cookies, and sends the CSRF token of the last
 * page it saw with every form it posts (as a real form would). */
export class Client {
  cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly app: FastifyInstance) {}

  private remember(response: LightMyRequestResponse) {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (token) this.csrf = token[1];
    return response;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader, ...headers } }));
  }

  /** Posts a form; `_csrf` is added unless the form sets it (use `_csrf: ''` to leave it out). */
  async post(url: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    const body = new URLSearchParams({ _csrf: this.csrf, ...form });
    if (body.get('_csrf') === '') body.delete('_csrf');
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader, ...headers },
      }),
    );
  }

  /** Posts a form body written by hand, `_csrf` first (a browser cannot send a field twice by
   * mistake; a script can). */
  postRaw(url: string, body: string) {
    return this.app.inject({
      method: 'POST',
      url,
      payload: `_csrf=${encodeURIComponent(this.csrf)}&${body}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader },
    });
  }

  /** Posts JSON (a value, or text written by hand) to a form's URL, with the CSRF token in the
   * header as htmx sends it. */
  postJson(url: string, body: unknown) {
    return this.app.inject({
      method: 'POST',
      url,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', cookie: this.cookieHeader, 'x-csrf-token': this.csrf },
    });
  }

  async login(email: string, password = PASSWORD) {
    await this.get('/login');
    return this.post('/login', { email, password });
  }
}

export async function signedIn(app: FastifyInstance, user: User): Promise<Client> {
  const client = new Client(app);
  const response = await client.login(user.email);
  if (response.statusCode !== 303) throw new Error(`login failed with ${response.statusCode}`);
  await client.get('/dashboard');
  return client;
}

/** The field error a form shows under a field. */
export const fieldError = (id: string, message: string) => `<small class="field-error" id="${id}-error">${message}</small>`;

export interface RegisteredRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

/** Every route the real app registers, with its schema, seen by an onRoute hook added the moment
 * Fastify creates the instance (its documented `fastify.initialization` diagnostics channel), so
 * before any route exists. */
export async function registeredRoutes(t: Teardown): Promise<RegisteredRoute[]> {
  const routes: RegisteredRoute[] = [];
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema });
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    await buildTestApp(t);
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
  return routes;
}
