// No route can be forgotten by the validation at the edge (DESIGN.md "Validation at the edge"):
// every route of the real app whose path has a parameter declares a `params` schema naming each
// parameter, and every POST, PATCH, PUT and DELETE route declares a `body` schema, unless it is in
// the commented allow-list below. A new route without its schemas fails here, named by method and
// path. (Query strings cannot be checked this way: whether a handler reads one is in its code.)
import t from 'tap';
import { registeredRoutes, type RegisteredRoute } from './helper.js';

/** Routes that deliberately go without a schema the rules ask for, as "METHOD /path", with why.
 * HEAD routes are Fastify's copies of GET routes and follow them. */
const ALLOWED: Record<string, string> = {
  // @fastify/static serves files under its root; the wildcard is a file path that the plugin
  // resolves and confines to that root (an unknown or escaping path is its 404). No handler of
  // ours reads it, and the app's text hook still refuses a NUL byte or unpaired surrogate in it.
  'GET /static/*': 'static files of public/ (a wildcard file path, resolved by @fastify/static)',
  'GET /vendor/htmx/*': 'static files of the htmx package (a wildcard file path, resolved by @fastify/static)',
  'GET /vendor/pico/*': 'static files of the Pico CSS package (a wildcard file path, resolved by @fastify/static)',
  'GET /vendor/uplot/*': 'static files of the uPlot package (a wildcard file path, resolved by @fastify/static)',
  // An API DELETE names its record in the URL (params schema) and reads no body: anything sent is
  // ignored (and still walked by the text hook).
  'DELETE /api/v1/contacts/:id': 'API DELETE without a body; the id is checked by its params schema',
  'DELETE /api/v1/sms-campaigns/:id': 'API DELETE without a body; the id is checked by its params schema',
};

/** The named parameters of a path (`:id`, `:listId`, `:id(^\\d+)`), and whether it has a wildcard. */
function pathParameters(url: string): { names: string[]; wildcard: boolean } {
  return { names: [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]), wildcard: url.includes('*') };
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** What the rules find missing on a route: nothing when it is complete. */
function missingSchemas(route: RegisteredRoute): string[] {
  const problems: string[] = [];
  const { names, wildcard } = pathParameters(route.url);
  const params = route.schema?.params as { properties?: Record<string, unknown> } | undefined;
  if (names.length || wildcard) {
    if (!params) problems.push('has path parameters but no params schema');
    else {
      const undeclared = names.filter((name) => !params.properties?.[name]);
      if (undeclared.length) problems.push(`has a params schema that does not declare ${undeclared.map((name) => `:${name}`).join(', ')}`);
    }
  }
  if (BODY_METHODS.has(route.method) && !route.schema?.body) problems.push(`is a ${route.method} without a body schema`);
  return problems;
}

const routes = await registeredRoutes(t);
const name = (route: RegisteredRoute) => `${route.method} ${route.url}`;
const isGetTwin = (route: RegisteredRoute) => route.method === 'HEAD' && routes.some((other) => other.method === 'GET' && other.url === route.url);
const checked = routes.filter((route) => !isGetTwin(route));

t.test('every route declares a params schema for its path parameters and a body schema for what it is sent', async (t) => {
  t.ok(routes.length > 50, `the app's routes were seen (${routes.length})`);
  for (const route of checked) {
    const problems = missingSchemas(route);
    const key = name(route);
    if (!problems.length) t.pass(`${key}: schemas declared`);
    else if (key in ALLOWED) t.pass(`${key}: allow-listed (${ALLOWED[key]})`);
    else t.fail(`${key} ${problems.join(' and ')}: declare it (src/plugins/schemas.ts), or allow-list it here with the reason`);
  }
});

t.test('the allow-lists name only routes that exist and still need them', async (t) => {
  const byName = new Map(checked.map((route) => [name(route), route]));
  for (const [key, reason] of Object.entries(ALLOWED)) {
    const route = byName.get(key);
    if (!route) t.fail(`allow-listed ${key} is not a route of the app: take it off the allow-list`);
    else t.ok(missingSchemas(route).length, `allow-listed ${key} still lacks a schema (${reason}); once it has them, take it off`);
  }
});
