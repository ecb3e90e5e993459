import t from 'tap';
import { buildTestApp, createTenant, addUser, signedIn, Client } from '../helper.js';
import { User } from '../../src/modules/accounts/user.entity.js';
import { ACROSS_ACCOUNTS } from '../../src/db/tenant.js';

const countUsers = (orm: Parameters<typeof addUser>[0]) => orm.em.fork().count(User, {}, ACROSS_ACCOUNTS);

t.test('a form posted without its CSRF token, or with another session’s token, changes nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const before = await countUsers(orm);
  const missing = await client.post('/settings/users', { _csrf: '', email: 'new@example.com', password: 'long enough password', role: 'viewer' });
  t.equal(missing.statusCode, 403);
  t.match(missing.body, /Missing csrf secret|Invalid csrf token|csrf/i);

  const other = await signedIn(app, await addUser(orm, owner.account, 'owner'));
  const foreign = await client.post('/settings/users', { _csrf: other.csrf, email: 'new@example.com', password: 'long enough password', role: 'viewer' });
  t.equal(foreign.statusCode, 403, "another session's token is refused");
  t.equal(await countUsers(orm), before + 1, 'only the second owner was added (by the fixture)');

  const login = new Client(app);
  const noToken = await app.inject({ method: 'POST', url: '/login', payload: `email=${encodeURIComponent(owner.email)}&password=x`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(noToken.statusCode, 403, 'the login form needs its token too');
  t.equal(login.cookies.size, 0);
});

t.test('htmx requests carry the CSRF token in a header', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/api-keys');
  const header = /hx-headers:inherited='\{"x-csrf-token": "([^"]+)"\}'/.exec(page.body);
  t.ok(header, 'the page gives htmx the token');
  const ok = await client.post('/settings/api-keys', { _csrf: '', name: 'from htmx' }, { 'hx-request': 'true', 'x-csrf-token': header![1] });
  t.equal(ok.statusCode, 201);
  const refused = await client.post('/settings/api-keys', { _csrf: '', name: 'forged' }, { 'hx-request': 'true', 'x-csrf-token': 'forged' });
  t.equal(refused.statusCode, 403);
  t.match(refused.body, /class="notice error"/, 'htmx gets a fragment, not a page');
});

t.test('GET never changes state: signing out and changing users need POST', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  t.equal((await client.get('/logout')).statusCode, 404);
  t.equal((await client.get(`/settings/users/${owner.id}/disable`)).statusCode, 404);
  t.equal((await client.get('/dashboard')).statusCode, 200, 'still signed in');
});

t.test('a viewer sees every page but changes nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const viewer = await addUser(orm, owner.account, 'viewer');
  const client = await signedIn(app, viewer);
  for (const url of ['/dashboard', '/create', '/reporting', '/inbound', '/contacts', '/automation', '/settings', '/settings/users', '/settings/api-keys', '/settings/account', `/settings/users/${owner.id}`]) {
    t.equal((await client.get(url)).statusCode, 200, `viewer can see ${url}`);
  }
  const before = await countUsers(orm);
  const refused = await client.post('/settings/users', { email: 'x@example.com', password: 'long enough password', role: 'owner' });
  t.equal(refused.statusCode, 403);
  t.match(refused.body, 'Viewers can look at everything but change nothing.');
  t.equal((await client.post(`/settings/users/${owner.id}/disable`)).statusCode, 403);
  t.equal((await client.post('/settings/account', { name: 'Renamed', timeZone: 'UTC', currency: 'EUR' })).statusCode, 403);
  t.equal(await countUsers(orm), before);
  t.equal((await client.post('/logout')).statusCode, 303, 'a viewer can still sign out');
});

t.test('a marketer cannot manage users or API keys', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, await addUser(orm, owner.account, 'marketer'));
  const refused = await client.post('/settings/users', { email: 'x@example.com', password: 'long enough password', role: 'owner' });
  t.equal(refused.statusCode, 403);
  t.match(refused.body, 'Only an owner of the account can do that.');
  t.equal((await client.post('/settings/api-keys', { name: 'k' })).statusCode, 403);
});

t.test('an owner adds a user, changes their role and disables them, which ends their sessions', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const created = await client.post('/settings/users', { email: 'Ann@Example.com', password: 'long enough password', role: 'marketer' });
  t.equal(created.statusCode, 303);
  const ann = await orm.em.fork().findOneOrFail(User, { email: 'ann@example.com' }, ACROSS_ACCOUNTS);
  t.equal(ann.role, 'marketer');

  const annClient = new Client(app);
  t.equal((await annClient.login('ann@example.com', 'long enough password')).statusCode, 303);

  await client.get(`/settings/users/${ann.id}`);
  t.equal((await client.post(`/settings/users/${ann.id}/role`, { role: 'viewer' })).statusCode, 303);
  t.equal((await orm.em.fork().findOneOrFail(User, { id: ann.id }, ACROSS_ACCOUNTS)).role, 'viewer');

  t.equal((await client.post(`/settings/users/${ann.id}/disable`)).statusCode, 303);
  t.equal((await annClient.get('/dashboard')).statusCode, 303, "the disabled user's session has ended");
  const page = await client.get(`/settings/users/${ann.id}`);
  t.match(page.body, 'disabled');
});

t.test('bad user input re-renders the form with the reason and saves nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const before = await countUsers(orm);
  const response = await client.post('/settings/users', { email: 'not-an-email', password: 'short', role: 'boss' });
  t.equal(response.statusCode, 422);
  t.match(response.body, 'Enter a valid email address.');
  t.match(response.body, 'The password needs at least 10 characters.');
  t.match(response.body, 'Choose owner, marketer or viewer.');
  const duplicate = await client.post('/settings/users', { email: owner.email, password: 'long enough password', role: 'viewer' });
  t.match(duplicate.body, 'A user with this email already exists.');
  t.equal(await countUsers(orm), before);
});

t.test('the last active owner cannot be demoted or disabled', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const demote = await client.post(`/settings/users/${owner.id}/role`, { role: 'viewer' });
  t.equal(demote.statusCode, 422);
  t.match(demote.body, 'An account needs at least one active owner.');
  t.equal((await client.post(`/settings/users/${owner.id}/disable`)).statusCode, 422);
  t.equal((await orm.em.fork().findOneOrFail(User, { id: owner.id }, ACROSS_ACCOUNTS)).role, 'owner');
});
