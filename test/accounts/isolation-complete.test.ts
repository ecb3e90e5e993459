// The isolation table (test/isolation.ts) is complete: every route of the real app whose path has a
// parameter is either in the table, so isolation.test.ts checks that account B gets 404 for
// account A's record through it, or in the allow-list below with the reason it names no record of
// an account. A new route with a path parameter fails here, named, until it is one or the other.
// Every path parameter counts, not only ones called `id`: a new `:listId` or `:token` must be
// looked at, not slip through on its name.
import t from 'tap';
import { registeredRoutes, type RegisteredRoute } from '../helper.js';
import { isolationModules, type Fixture } from '../isolation.js';

/** Routes with a path parameter that are deliberately not checked for account isolation by id,
 * as "METHOD /path" (HEAD routes are Fastify's twins of GET routes and follow them), with why. */
const NOT_ACCOUNT_RECORDS: Record<string, string> = {
  // Called by gateways, not by users or API keys: there is no signed-in account B to ask. The
  // gateway id only selects whose secret must sign the report (test/sending/webhooks.test.ts
  // covers unknown gateways and wrong secrets).
  'POST /webhooks/:gatewayId/dlr': 'gateway webhook, authenticated by the gateway secret, not by an account',
  'POST /webhooks/:gatewayId/inbound': 'gateway webhook, authenticated by the gateway secret, not by an account',
  // Kannel calls its dlr-url and get-url with GET, the secret in the query.
  'GET /webhooks/:gatewayId/dlr': 'gateway webhook (Kannel), authenticated by the gateway secret, not by an account',
  'GET /webhooks/:gatewayId/inbound': 'gateway webhook (Kannel), authenticated by the gateway secret, not by an account',
  // Public links printed in sent SMS: anyone holding the unguessable per-message token may use
  // them without signing in, whatever account they belong to.
  'GET /u/:token': 'public unsubscribe page of a message, reached by its unguessable token',
  'POST /u/:token': 'public unsubscribe of a message, reached by its unguessable token',
  'GET /l/:token': 'public short link of a message, reached by its unguessable token',
  // A country code, not a record: it resets the signed-in account's own quiet hours for that
  // country (request.account, never an id from the URL).
  'POST /settings/quiet-hours/:country/reset': "`:country` is a country code within the caller's own account, not a record id",
  // Static files: public assets, the same for everybody.
  'GET /static/*': 'static files of public/, not account data',
  'GET /vendor/htmx/*': 'static files of the htmx package, not account data',
  'GET /vendor/pico/*': 'static files of the Pico CSS package, not account data',
  'GET /vendor/uplot/*': 'static files of the uPlot package, not account data',
};

/** A path with every parameter as a bare ":", so a route and a URL built from placeholders compare. */
const shape = (path: string) => path.split('?')[0].replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, ':');

/** Account A's fixture as placeholders: each record id reads ":<name>", a parameter's place. */
const placeholders = new Proxy({} as Fixture, { get: (_target, key) => `:${String(key)}` });

/** Every isolation-table entry as "METHOD shape", with the module that lists it. */
const tableEntries = isolationModules.flatMap((module) =>
  [...module.browser, ...module.api].map((route) => ({ key: `${route.method} ${shape(route.url(placeholders))}`, label: `${module.name}: ${route.method} ${route.url(placeholders)}` })),
);

// One app for both tests, dropped when the file ends.
const routes = await registeredRoutes(t);

t.test('every route naming a record is in the isolation table or the commented allow-list', async (t) => {
  t.ok(routes.length > 50, `the app's routes were seen (${routes.length})`);
  const isGetTwin = (route: RegisteredRoute) => route.method === 'HEAD' && routes.some((other) => other.method === 'GET' && other.url === route.url);
  const withParameter = routes.filter((route) => /[:*]/.test(route.url) && !isGetTwin(route));
  const checked = new Set(tableEntries.map((entry) => entry.key));
  for (const route of withParameter) {
    const name = `${route.method} ${route.url}`;
    const inTable = checked.has(`${route.method} ${shape(route.url)}`);
    const allowed = name in NOT_ACCOUNT_RECORDS;
    if (inTable && allowed) t.fail(`${name} is both in the isolation table and allow-listed: take it off the allow-list`);
    else if (inTable) t.pass(`${name}: checked by the isolation table`);
    else if (allowed) t.pass(`${name}: allow-listed (${NOT_ACCOUNT_RECORDS[name]})`);
    else t.fail(`${name} has a path parameter but is neither in the isolation table (test/isolation.ts) nor in the allow-list`);
  }
});

t.test('the allow-list and the isolation table name only routes that exist', async (t) => {
  const names = new Set(routes.map((route) => `${route.method} ${route.url}`));
  const shapes = new Set(routes.map((route) => `${route.method} ${shape(route.url)}`));
  for (const name of Object.keys(NOT_ACCOUNT_RECORDS)) t.ok(names.has(name), `allow-listed ${name} is a route of the app`);
  // An entry for a route that was renamed or removed would still "pass" isolation.test.ts: the
  // router's own 404.
  for (const entry of tableEntries) t.ok(shapes.has(entry.key), `isolation entry ${entry.label} is a route of the app`);
});
