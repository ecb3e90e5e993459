// No route answers 500 to hostile input. Every route of the real app that declares fields (a
// body, or a query string) is sent, one field at a time: a NUL byte, an unpaired surrogate, the
// field twice, an object where text belongs, and a value of 100,000 characters. Each must be
// refused (or, where the value is acceptable, handled) with a 4xx or a normal answer: never a 5xx.
// Routes with a record in their path are reached through account A's records of the isolation
// table (test/isolation.ts), so the request gets past "not found" to the code that reads the body.
import t from 'tap';
import type { FastifySchema } from 'fastify';
import { buildTestApp, createKey, createTenant, registeredRoutes, signedIn, type RegisteredRoute } from './helper.js';
import { isolationModules, type Fixture, type IsolatedRoute } from './isolation.js';

/** Routes left out, with why. */
const SKIPPED: Record<string, string> = {
  'POST /logout': 'signs the sweeping client out',
};

/** Records that are not in the isolation table: a country code, and tokens that name nothing. */
const OTHER_PARAMETERS: Record<string, string> = { country: 'FR', token: 'AAAAAAAAAAAA', gatewayId: '00000000-0000-4000-8000-000000000000' };

type Variant = { name: string; value: unknown; twice?: boolean; jsonOnly?: boolean };
const VARIANTS: Variant[] = [
  { name: 'a NUL byte', value: 'a\u0000b' },
  { name: 'an unpaired surrogate', value: 'a\ud800b' },
  { name: 'the field twice', value: 'x', twice: true },
  { name: '100,000 characters', value: 'x'.repeat(100_000) },
  { name: 'an object', value: { a: 1 }, jsonOnly: true },
];

const shape = (path: string) => path.split('?')[0].replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, ':');
/** Account A's fixture as placeholders: each record id reads ":<name>", a parameter's place. */
const placeholders = new Proxy({} as Fixture, { get: (_target, key) => `:${String(key)}` });
const fieldsOf = (schema: unknown) => Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).filter((field) => field !== '_csrf');
const isApi = (url: string) => url.startsWith('/api/');

interface Target {
  route: RegisteredRoute;
  url: string;
  body: Record<string, unknown>;
}

/** The concrete requests that reach each route: its isolation-table entries with account A's
 * records, or its own path where it has no parameter (or one that names no record). */
function targetsOf(route: RegisteredRoute, table: IsolatedRoute[], fixture: Fixture): Target[] {
  const entries = table.filter((entry) => entry.method === route.method && shape(entry.url(placeholders)) === shape(route.url));
  if (entries.length) {
    return entries.map((entry) => ({ route, url: entry.url(fixture), body: typeof entry.body === 'function' ? entry.body(fixture) : (entry.body ?? {}) }));
  }
  const url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => OTHER_PARAMETERS[name] ?? fixture[name] ?? 'x');
  return [{ route, url, body: {} }];
}

t.test('no route answers 500 to a NUL byte, a surrogate, a repeated field, an object or a huge value', async (t) => {
  const routes = (await registeredRoutes(t)).filter(
    (route) => ['GET', 'POST', 'PATCH', 'DELETE'].includes(route.method) && !route.url.includes('*') && !(`${route.method} ${route.url}` in SKIPPED),
  );
  const { app, orm } = await buildTestApp(t);
  const a = await createTenant(orm);
  const fixture: Fixture = {};
  for (const module of isolationModules) Object.assign(fixture, await module.fixture(orm, a));
  const key = await createKey(orm, a.account);
  const client = await signedIn(app, a.owner);
  const table = isolationModules.flatMap((module) => [...module.browser, ...module.api]);

  const failures: string[] = [];
  let sent = 0;
  for (const route of routes) {
    const schema = route.schema as FastifySchema | undefined;
    const inBody = route.method !== 'GET';
    const fields = fieldsOf(inBody ? schema?.body : schema?.querystring);
    for (const target of targetsOf(route, table, fixture)) {
      for (const field of fields) {
        for (const variant of VARIANTS) {
          const values: Record<string, unknown> = { ...target.body, [field]: variant.value };
          let response;
          if (!inBody) {
            const query = new URLSearchParams(target.url.split('?')[1]);
            if (variant.jsonOnly) continue;
            query.set(field, String(variant.value));
            if (variant.twice) query.append(field, String(variant.value));
            const url = `${target.url.split('?')[0]}?${query}`;
            response = isApi(url) ? await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } }) : await client.get(url);
          } else if (isApi(target.url) || variant.jsonOnly) {
            if (variant.twice) continue;
            const headers = isApi(target.url) ? { authorization: `Bearer ${key}`, 'content-type': 'application/json' } : { cookie: client.cookieHeader, 'x-csrf-token': client.csrf, 'content-type': 'application/json' };
            response = await app.inject({ method: route.method as 'POST', url: target.url, headers, payload: JSON.stringify(values) });
          } else {
            const form = new URLSearchParams();
            for (const [name, value] of Object.entries(values)) form.append(name, String(value));
            if (variant.twice) form.append(field, String(variant.value));
            response = await client.postRaw(target.url, form.toString());
          }
          sent++;
          if (response.statusCode >= 500) failures.push(`${route.method} ${target.url} with ${variant.name} in "${field}": ${response.statusCode}`);
        }
      }
    }
  }
  t.ok(sent > 300, `hostile requests were sent (${sent})`);
  t.same(failures, [], 'no request was answered with a server error');
  const stillSignedIn = await client.get('/dashboard');
  t.equal(stillSignedIn.statusCode, 200, 'the sweep ran signed in throughout');
});
