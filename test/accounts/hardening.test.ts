// Hostile requests at the edge of accounts: where sign-in sends you, who is believed about the
// client's address, which routes take a session, and what a browser may keep.
import t from 'tap';
import { buildTestApp, createTenant, signedIn, Client, createKey } from '../helper.js';
import { safeNext } from '../../src/modules/accounts/auth.routes.js';
import { loadConfig } from '../../src/config.js';

t.test('sign-in only ever sends you on to a page of this site', async (t) => {
  for (const hostile of ['//evil.example', '/\t/evil.example', '/%09/evil.example'.replace('%09', '\t'), '/\\evil.example', '/\\/evil.example', '/\n/x', 'https://evil.example', 'javascript:alert(1)', '/ok\u0000', 'evil.example']) {
    t.equal(safeNext(hostile), '/dashboard', `${JSON.stringify(hostile)} goes to the dashboard`);
  }
  t.equal(safeNext('/contacts?q=ann#top'), '/contacts?q=ann#top', 'a page of the site is kept, query and fragment included');

  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  for (const next of ['/%09/evil.example', '/%0a/x', '%2F%2Fevil.example', '/%5Cevil.example']) {
    const response = await client.get(`/login?next=${next}`);
    t.equal(response.statusCode, 303, `next=${next} answers a redirect, not an error`);
    t.equal(response.headers.location, '/dashboard', `next=${next} stays on the site`);
  }
});

t.test('X-Forwarded-For is nobody’s to set unless TRUST_PROXY says so: the per-address sign-in limit holds', async (t) => {
  const { app } = await buildTestApp(t);
  const client = new Client(app);
  await client.get('/login');
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await client.post('/login', { email: `someone${i}@example.com`, password: 'x' }, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
  t.equal(statuses[20], 429, 'a new forwarded address on every attempt does not reset the limit');

  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1, 'a hop count');
  t.equal(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy, '10.0.0.1,192.168.0.0/16', 'addresses and ranges');
  t.equal(loadConfig({}).trustProxy, false, 'none by default');
  t.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY must be/);

  const { app: behindProxy } = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' });
  const proxied = new Client(behindProxy);
  await proxied.get('/login');
  const fromProxy: number[] = [];
  for (let i = 0; i < 21; i++) fromProxy.push((await proxied.post('/login', { email: `someone${i}@example.com`, password: 'x' }, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
  t.equal(fromProxy[20], 401, 'behind a trusted proxy, each client address has its own limit');
});

t.test('the API never takes a browser session, however its path is spelled', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  for (const path of ['/api/v1/account', '/%61pi/v1/account', '/api/v1/%61ccount']) {
    const response = await client.get(path);
    t.equal(response.statusCode, 401, `${path} with only a session cookie is refused`);
    t.match(response.json(), { error: { code: 'unauthenticated' } }, 'as JSON');
  }
});

t.test('signed-in pages tell browsers and proxies not to keep them', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  for (const path of ['/dashboard', '/contacts', '/settings/credits']) t.equal((await client.get(path)).headers['cache-control'], 'no-store', path);
  t.not((await new Client(app).get('/static/app.css')).headers['cache-control'], 'no-store', 'static files stay cacheable');
});

t.test('bad input that used to end in a 500 gets a clear answer', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const visitor = new Client(app);
  await visitor.get('/login');
  const long = await visitor.post('/login', { email: `${'a'.repeat(300)}@example.com`, password: 'x' });
  t.equal(long.statusCode, 422, 'an over-long sign-in email is the form again');
  t.match(long.body, /email: at most 254 characters/i);

  const client = await signedIn(app, owner);
  await client.get('/contacts/fields');
  t.equal((await client.post('/contacts/fields', { label: 'Birthday', key: 'birthday', type: 'date' })).statusCode, 303);
  const key = await createKey(orm, account);
  const api = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/contacts', headers: { authorization: `Bearer ${key}` }, payload: payload as object });
  const zero = await api({ contacts: [{ phone: '+33612345678', fields: { birthday: '0000-01-01' } }, { phone: '+33612345679', fields: { birthday: '1990-05-17' } }] });
  t.equal(zero.statusCode, 200);
  t.match(zero.json(), { created: 1, errors: [{ index: 0 }] }, 'year 0000 is refused for that contact, the other is created');
  t.match(JSON.stringify(zero.json().errors), 'years 1000 to 9999');
  // A year-0000 value stored before years were checked does not break segments on the field.
  await orm.em.getConnection().execute(`update contact set fields = jsonb_set(fields, '{birthday}', '"0000-01-01"') where phone = '+33612345679'`);
  await client.get('/contacts/segments/new');
  const segment = await client.get(`/contacts/segments/new?combinator=and&g0.c0.field=${encodeURIComponent('custom:birthday')}&g0.c0.operator=before&g0.c0.value=2000-01-01`);
  t.not(segment.statusCode, 500, 'a segment on the field still answers');
});
