import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildTestApp, createTenant, addUser, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';

const run = promisify(execFile);

t.test('a new account sends through the built-in simulator until another gateway is the default', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const gateways = await withAccount(orm.em, account.id).find(Gateway, {});
  t.same(gateways.map((g) => [g.kind, g.isDefault]), [['simulator', true]]);
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/gateways');
  t.match(page.body, `/webhooks/${gateways[0].id}/dlr`);
  t.match(page.body, '<mark>default</mark>');

  const refused = await client.post('/settings/gateways', { kind: 'kannel', name: 'Kannel', mps: '100', option_url: 'not a url' });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, 'A kannel gateway needs the option username.');
  t.match(refused.body, 'url must be an http:// or https:// URL.');
  const added = await client.post('/settings/gateways', { kind: 'kannel', name: 'Kannel', mps: '100', option_url: 'http://127.0.0.1:13013/cgi-bin/sendsms', option_username: 'tc', option_password: 'pw', default: 'on' });
  t.equal(added.statusCode, 303);
  const after = await withAccount(orm.em, account.id).find(Gateway, {}, { orderBy: { createdAt: 'asc' } });
  t.same(after.map((g) => [g.kind, g.isDefault]), [['simulator', false], ['kannel', true]], 'one default at a time');
  const shown = await client.get('/settings/gateways');
  t.match(shown.body, `/webhooks/${after[1].id}/inbound?secret=${after[1].secret}&amp;from=%p&amp;to=%P&amp;text=%a`, 'Kannel URLs carry its escape codes');
  t.notMatch(shown.body, '>pw<', 'passwords are not shown');
  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  t.equal((await marketer.post(`/settings/gateways/${after[0].id}/default`)).statusCode, 403);
  t.notMatch((await marketer.get('/settings/gateways')).body, 'data-secret', 'only owners see webhook secrets');
});

t.test('npm run cli -- gateway add and gateway urls', async (t) => {
  const { orm, databaseUrl } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const env = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', PUBLIC_URL: 'https://sms.example.com' };
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env });
  const { stdout } = await cli('gateway', 'add', '--account', account.id, '--kind', 'kannel', '--name', 'Kannel', '--mps', '80', '--option', 'url=http://127.0.0.1:13013/cgi-bin/sendsms', '--option', 'username=tc', '--option', 'password=secret');
  const last = stdout.trim().split('\n').pop()!;
  const match = /^id=([0-9a-f-]{36}) secret=(\S+)$/.exec(last);
  t.ok(match, 'the last line is id=<id> secret=<secret>');
  const urls = await cli('gateway', 'urls', match![1]);
  t.match(urls.stdout, `inbound=https://sms.example.com/webhooks/${match![1]}/inbound?secret=${match![2]}&from=%p&to=%P&text=%a&time=%T&id=%I`);
  t.match(urls.stdout, `dlr=https://sms.example.com/webhooks/${match![1]}/dlr?secret=${match![2]}&type=%d`);
  const bad = await cli('gateway', 'add', '--account', account.id, '--kind', 'carrier-pigeon', '--name', 'x').catch((e) => e);
  t.equal(bad.code, 2);
  t.match(bad.stderr, 'The kind is one of simulator, kannel, twilio, generic.');
});

t.test('the gateway form offers every kind of the registry by its label, and never echoes a secret option back', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/gateways');
  for (const [kind, label] of [['simulator', 'Simulator (no real SMS)'], ['kannel', 'Kannel'], ['twilio', 'Twilio'], ['generic', 'Generic HTTP']]) {
    t.match(page.body, `<option value="${kind}" >${label}</option>`, `${kind} is offered as ${label}`);
  }
  t.match(page.body, /name="option_auth_token" type="password"/, 'secret options are password fields');
  const refused = await client.post('/settings/gateways', { kind: 'twilio', name: 'Twilio', option_auth_token: 'sekret-token-123', option_base_url: 'ftp://nope' });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, 'A twilio gateway needs the option account_sid.');
  t.match(refused.body, 'base_url must be an http:// or https:// URL.');
  t.notMatch(refused.body, 'sekret-token-123', 'a secret typed into a refused form is not sent back');
  t.equal((await client.post('/settings/gateways', { kind: 'twilio', name: 'Twilio', option_account_sid: 'AC1', option_auth_token: 'sekret-token-123', option_from: '+15550001111' })).statusCode, 303);
  const shown = await client.get('/settings/gateways');
  t.notMatch(shown.body, 'sekret-token-123', 'a secret option is masked on the page');
  t.match(shown.body, '+15550001111', 'other options are shown');
  const saved = await withAccount(orm.em, account.id).findOneOrFail(Gateway, { kind: 'twilio' });
  t.same(saved.config, { account_sid: 'AC1', auth_token: 'sekret-token-123', from: '+15550001111' });
});

t.test("a gateway's secrets are the owners' only: others see the webhook URLs and credentials masked", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/gateways');
  t.equal((await client.post('/settings/gateways', { kind: 'kannel', name: 'Kannel', option_url: 'http://tc:hunter2@127.0.0.1:13013/cgi-bin/sendsms', option_username: 'tc', option_password: 'pw' })).statusCode, 303);
  const kannel = await withAccount(orm.em, account.id).findOneOrFail(Gateway, { kind: 'kannel' });
  t.match((await client.get('/settings/gateways')).body, `secret=${kannel.secret}`, 'the owner sees the URLs to paste');
  for (const role of ['marketer', 'viewer'] as const) {
    const page = (await (await signedIn(app, await addUser(orm, account, role))).get('/settings/gateways')).body;
    t.notMatch(page, kannel.secret, `a ${role} never sees the webhook secret`);
    t.match(page, 'secret=••••••', `a ${role} sees where it goes`);
    t.notMatch(page, 'hunter2', `a ${role} never sees credentials written into a URL`);
  }
  t.notMatch((await client.get('/settings/gateways')).body, 'hunter2', 'nor does the owner: options are write-only');
});
