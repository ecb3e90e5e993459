import t from 'tap';
import pg from 'pg';
import { buildTestApp, createTenant, createKey, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ApiKey } from '../../src/modules/accounts/api-key.entity.js';

t.test('GET /api/v1/account answers the account of the API key', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Florist');
  const key = await createKey(orm, account);
  const response = await app.inject({ url: '/api/v1/account', headers: { authorization: `Bearer ${key}` } });
  t.equal(response.statusCode, 200);
  t.match(response.json(), { id: account.id, name: 'Florist', time_zone: 'Europe/Paris', currency: 'EUR', credit_balance_micros: 0 });
  const stored = await withAccount(orm.em, account.id).findOneOrFail(ApiKey, {});
  t.not(stored.keyHash, key, 'only a hash of the key is stored');
  t.ok(stored.lastUsedAt, 'the key records when it was last used');
});

t.test('the API refuses a missing, unknown or revoked key with a JSON error', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const missing = await app.inject({ url: '/api/v1/account' });
  t.equal(missing.statusCode, 401);
  t.same(missing.json(), { error: { code: 'unauthenticated', message: 'Send your API key as "Authorization: Bearer <key>".' } });
  const unknown = await app.inject({ url: '/api/v1/account', headers: { authorization: 'Bearer tc_nope' } });
  t.equal(unknown.statusCode, 401);
  t.equal(unknown.json().error.code, 'unauthenticated');

  const key = await createKey(orm, account);
  const client = await signedIn(app, owner);
  const stored = await withAccount(orm.em, account.id).findOneOrFail(ApiKey, {});
  await client.get('/settings/api-keys');
  t.equal((await client.post(`/settings/api-keys/${stored.id}/revoke`)).statusCode, 303);
  const revoked = await app.inject({ url: '/api/v1/account', headers: { authorization: `Bearer ${key}` } });
  t.equal(revoked.statusCode, 401);
  t.equal(revoked.json().error.message, 'This API key is unknown or revoked.');
});

t.test('an owner creates an API key in Settings and sees it exactly once', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/api-keys');
  const created = await client.post('/settings/api-keys', { name: 'CRM sync' });
  t.equal(created.statusCode, 201);
  const key = /<code id="created-key">([^<]+)<\/code>/.exec(created.body)?.[1];
  t.ok(key, 'the key is shown');
  t.equal((await app.inject({ url: '/api/v1/account', headers: { authorization: `Bearer ${key}` } })).statusCode, 200, 'and works');
  const later = await client.get('/settings/api-keys');
  t.notMatch(later.body, key!, 'it is not shown again');
  t.match(later.body, 'CRM sync');
});

t.test('unknown pages answer 404 as a page, an htmx fragment or JSON, as the caller expects', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const page = await client.get('/no-such-page');
  t.equal(page.statusCode, 404);
  t.match(page.headers['content-type'], 'text/html');
  t.match(page.body, '<h1>Page not found</h1>');
  t.match(page.body, '<!doctype html>');
  const fragment = await client.get('/no-such-page', { 'hx-request': 'true', 'hx-target': 'div#result' });
  t.equal(fragment.statusCode, 404);
  t.notMatch(fragment.body, '<!doctype html>');
  t.match(fragment.body, 'class="notice error"');
  const key = await createKey(orm, account);
  const api = await app.inject({ url: '/api/v1/nothing', headers: { authorization: `Bearer ${key}` } });
  t.equal(api.statusCode, 404);
  t.equal(api.json().error.code, 'not_found');
  const anonymous = await app.inject({ url: '/no-such-page' });
  t.equal(anonymous.statusCode, 404, 'unknown pages are 404 for everyone, not a login redirect');
});

t.test('a failure inside a route answers 500 without a stack trace, with a reference to the log', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, (app) => {
    app.get('/explode', async () => {
      throw new Error('secret internal detail at /src/file.ts:12');
    });
    app.get('/api/v1/explode', async () => {
      throw new Error('secret internal detail');
    });
  });
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const page = await client.get('/explode');
  t.equal(page.statusCode, 500);
  t.notMatch(page.body, 'secret internal detail');
  t.match(page.body, /Reference: [0-9a-f-]{36}/);
  t.equal(/Reference: ([0-9a-f-]{36})/.exec(page.body)![1], page.headers['x-request-id'], 'the reference is the request id');
  const key = await createKey(orm, account);
  const api = await app.inject({ url: '/api/v1/explode', headers: { authorization: `Bearer ${key}` } });
  t.equal(api.statusCode, 500);
  t.equal(api.json().error.code, 'internal');
  t.notMatch(api.body, 'secret');
});

t.test('oversized and malformed request bodies get a clear 4xx', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const big = await app.inject({
    method: 'POST',
    url: '/settings/api-keys',
    payload: 'name=' + 'x'.repeat(2 * 1024 * 1024),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader },
  });
  t.equal(big.statusCode, 413);
  t.match(big.body, 'Too large');
});

t.test('healthz reports the database and scheduler, and 503 when the database is gone', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t);
  const ok = await app.inject({ url: '/healthz' });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { status: 'ok', database: 'ok', scheduler: { status: 'disabled' }, role: 'all' });

  const server = new URL(databaseUrl);
  const name = server.pathname.slice(1);
  server.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`drop database "${name}" with (force)`);
  await admin.end();
  const down = await app.inject({ url: '/healthz' });
  t.equal(down.statusCode, 503);
  t.equal(down.json().database, 'down');
});
