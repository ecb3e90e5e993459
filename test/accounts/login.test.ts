import t from 'tap';
import { buildTestApp, createTenant, addUser, Client, PASSWORD } from '../helper.js';
import { Session } from '../../src/modules/accounts/session.entity.js';
import { ACROSS_ACCOUNTS } from '../../src/db/tenant.js';

t.test('a user signs in with the right password and lands on the dashboard', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Bakery');
  const client = new Client(app);
  const response = await client.login(owner.email, PASSWORD);
  t.equal(response.statusCode, 303);
  t.equal(response.headers.location, '/dashboard');
  const cookie = (response.cookies as { name: string; httpOnly?: boolean; sameSite?: string; secure?: boolean }[]).find((c) => c.name === 'tc_session');
  t.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
  t.equal(cookie?.sameSite, 'Lax');
  t.notOk(cookie?.secure, 'not Secure over plain http');
  const page = await client.get('/dashboard');
  t.equal(page.statusCode, 200);
  t.match(page.body, account.name);
  t.match(page.body, /Credit: <strong>€0\.00<\/strong>/);
});

t.test('the session cookie is Secure when PUBLIC_URL is https', async (t) => {
  const { app, orm } = await buildTestApp(t, { PUBLIC_URL: 'https://sms.example.com' });
  const { owner } = await createTenant(orm);
  const response = await new Client(app).login(owner.email);
  const cookie = (response.cookies as { name: string; secure?: boolean }[]).find((c) => c.name === 'tc_session');
  t.ok(cookie?.secure);
});

t.test('a wrong password or an unknown email is refused with the same message', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  for (const [email, password] of [[owner.email, 'not the password'], ['nobody@example.com', PASSWORD]]) {
    const client = new Client(app);
    const response = await client.login(email, password);
    t.equal(response.statusCode, 401);
    t.match(response.body, 'Wrong email or password.');
    t.notOk(client.cookies.has('tc_session'), 'no session is started');
    t.equal((await client.get('/dashboard')).statusCode, 303, 'still signed out');
  }
});

t.test('after five failed sign-ins an email is locked for a while, even with the right password', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = new Client(app);
  for (let i = 0; i < 5; i++) t.equal((await client.login(owner.email, 'wrong password')).statusCode, 401);
  const locked = await client.login(owner.email, PASSWORD);
  t.equal(locked.statusCode, 429);
  t.match(locked.body, 'Too many failed sign-ins for this email. Try again in 15 minutes.');
  t.notOk(client.cookies.has('tc_session'));
  const other = await addUser(orm, owner.account, 'marketer');
  t.equal((await new Client(app).login(other.email)).statusCode, 303, 'other emails are not affected');
});

t.test('more than twenty sign-in attempts a minute from one address are refused', async (t) => {
  const { app } = await buildTestApp(t);
  const client = new Client(app);
  await client.get('/login');
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await client.post('/login', { email: `someone${i}@example.com`, password: 'x' })).statusCode);
  t.same(statuses.slice(0, 20), Array(20).fill(401));
  t.equal(statuses[20], 429);
  const refused = await client.post('/login', { email: 'a@example.com', password: 'x' });
  t.match(refused.body, /Too many sign-in attempts from your network\. Try again in \d+ seconds\./);
});

t.test('signing in issues a new session id and signing out ends the session', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = new Client(app);
  await client.login(owner.email);
  const first = client.cookies.get('tc_session');
  await client.get('/dashboard');
  await client.login(owner.email);
  const second = client.cookies.get('tc_session');
  t.ok(first && second && first !== second, 'a new session token');
  t.equal(await orm.em.fork().count(Session, {}, ACROSS_ACCOUNTS), 1, 'the earlier session was ended');

  await client.get('/dashboard');
  const out = await client.post('/logout');
  t.equal(out.statusCode, 303);
  t.equal(out.headers.location, '/login');
  t.equal(await orm.em.fork().count(Session, {}, ACROSS_ACCOUNTS), 0);
  const replay = await app.inject({ url: '/dashboard', headers: { cookie: `tc_session=${second}` } });
  t.equal(replay.statusCode, 303, 'the old cookie no longer works');
});

t.test('an idle session and a session past its absolute lifetime both end', async (t) => {
  const { app, orm } = await buildTestApp(t, { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '8' });
  const { owner } = await createTenant(orm);
  const idle = new Client(app);
  await idle.login(owner.email);
  const old = new Client(app);
  await old.login(owner.email);
  const sessions = await orm.em.fork().find(Session, {}, { ...ACROSS_ACCOUNTS, orderBy: { createdAt: 'asc' } });
  const em = orm.em.fork();
  await em.nativeUpdate(Session, { id: sessions[0].id }, { lastSeenAt: new Date(Date.now() - 31 * 60_000) }, ACROSS_ACCOUNTS);
  await em.nativeUpdate(Session, { id: sessions[1].id }, { createdAt: new Date(Date.now() - 9 * 3600_000) }, ACROSS_ACCOUNTS);
  const idleResponse = await idle.get('/dashboard');
  const oldResponse = await old.get('/dashboard');
  t.equal(idleResponse.statusCode, 303);
  t.equal(idleResponse.headers.location, '/login?next=%2Fdashboard');
  t.equal(oldResponse.statusCode, 303);
});

t.test('after signing in the user is sent back to the page they asked for, never to another site', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const first = await new Client(app).get('/settings/users');
  t.equal(first.headers.location, '/login?next=%2Fsettings%2Fusers');
  const client = new Client(app);
  await client.get('/login?next=/settings/users');
  t.equal((await client.post('/login', { email: owner.email, password: PASSWORD, next: '/settings/users' })).headers.location, '/settings/users');
  const evil = new Client(app);
  await evil.get('/login');
  t.equal((await evil.post('/login', { email: owner.email, password: PASSWORD, next: '//evil.example.com' })).headers.location, '/dashboard');
});

t.test('a disabled user cannot sign in', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const em = orm.em.fork();
  await em.nativeUpdate('User', { id: owner.id }, { disabledAt: new Date() }, ACROSS_ACCOUNTS);
  const response = await new Client(app).login(owner.email);
  t.equal(response.statusCode, 401);
  t.match(response.body, 'This user has been disabled.');
});
