// Each gateway's page under Settings → Gateways: edit with write-only secrets, disable and
// enable, and Test connection.
import t from 'tap';
import http from 'node:http';
import { buildTestApp, createTenant, addUser, signedIn, freePort, fieldError } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { readyToSend, scheduleNow } from '../sending/helpers.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';

t.test('an owner edits a gateway: name, rate and options; a secret is never sent back, and left empty it is kept', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/gateways');
  await client.post('/settings/gateways', { kind: 'generic', name: 'Provider', option_url: 'https://sms.example.com/send', option_token: 'first-token-abc' });
  const em = () => withAccount(orm.em.fork(), account.id);
  const gateway = await em().findOneOrFail(Gateway, { kind: 'generic' });
  const page = await client.get(`/settings/gateways/${gateway.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'value="https://sms.example.com/send"', 'options are filled in');
  t.notMatch(page.body, 'first-token-abc', 'the token is not in the page');
  t.match(page.body, 'stored; leave empty to keep it');

  const kept = await client.post(`/settings/gateways/${gateway.id}`, { name: 'Provider EU', mps: '20', option_url: 'https://eu.sms.example.com/send', option_token: '' });
  t.equal(kept.statusCode, 303);
  t.match((await client.get(kept.headers.location as string)).body, 'Saved.');
  let saved = await em().findOneOrFail(Gateway, { id: gateway.id });
  t.same([saved.name, saved.messagesPerSecond, saved.config], ['Provider EU', 20, { url: 'https://eu.sms.example.com/send', token: 'first-token-abc' }], 'an empty secret field keeps the token');

  await client.post(`/settings/gateways/${gateway.id}`, { name: 'Provider EU', mps: '20', option_url: 'https://eu.sms.example.com/send', option_token: 'second-token-xyz' });
  saved = await em().findOneOrFail(Gateway, { id: gateway.id });
  t.equal(saved.config.token, 'second-token-xyz', 'a secret typed in replaces it');

  const refused = await client.post(`/settings/gateways/${gateway.id}`, { name: '', mps: '0', option_url: 'http://169.254.169.254/', option_token: 'third-token-typed' });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, fieldError('name', 'Give the gateway a name of at most 100 characters.'));
  t.match(refused.body, fieldError('mps', 'Messages per second is a whole number from 1 to 10,000.'));
  t.match(refused.body, 'url cannot be used: 169.254.169.254 is a link-local or cloud metadata address');
  t.notMatch(refused.body, /third-token-typed|second-token-xyz/, 'no secret in the refused form');
  t.equal((await em().findOneOrFail(Gateway, { id: gateway.id })).name, 'Provider EU', 'nothing saved');

  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  const seen = await marketer.get(`/settings/gateways/${gateway.id}`);
  t.equal(seen.statusCode, 200);
  t.notMatch(seen.body, /second-token-xyz|data-secret|Test connection/, 'others see no secret and no owner actions');
  for (const path of ['', '/disable', '/enable', '/resume', '/test']) t.equal((await marketer.post(`/settings/gateways/${gateway.id}${path}`, { name: 'x' })).statusCode, 403, `POST ${path || '/'} is the owners'`);
});

t.test('a disabled gateway is not used: launches through it are refused, and it cannot be the default', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/settings/gateways');
  const simulator = await withAccount(orm.em.fork(), account.id).findOneOrFail(Gateway, { kind: 'simulator' });
  const refused = await client.post(`/settings/gateways/${simulator.id}/disable`);
  t.equal(refused.statusCode, 422);
  t.match(refused.body, 'The default gateway cannot be disabled: make another gateway the default first.');

  await client.post('/settings/gateways', { kind: 'simulator', name: 'Second', default: 'on' });
  t.equal((await client.post(`/settings/gateways/${simulator.id}/disable`)).statusCode, 303);
  const list = await client.get('/settings/gateways');
  t.match(list.body, 'data-field="disabled"');
  t.notMatch(list.body, `/settings/gateways/${simulator.id}/default`, 'no Make default button for it');
  t.equal((await client.post(`/settings/gateways/${simulator.id}/default`)).statusCode, 422, 'it cannot be made the default');

  await orm.em.fork().getConnection().execute('update campaign set gateway_id = ? where id = ?', [simulator.id, campaign.id]);
  await scheduleNow(orm, account, campaign.id);
  const launch = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.same(launch, { outcome: 'refused', reason: 'Not launched: The gateway "Simulator" is disabled: enable it, or choose another, under Settings → Gateways.' });
  t.match((await client.get(`/create/${campaign.id}`)).body, 'The gateway &quot;Simulator&quot; is disabled', 'the campaign page says why');

  t.equal((await client.post(`/settings/gateways/${simulator.id}/enable`)).statusCode, 303);
  t.equal((await withAccount(orm.em.fork(), account.id).findOneOrFail(Gateway, { id: simulator.id })).disabled, false);
});

t.test('Test connection shows what the gateway answered: the simulator, and a generic provider up or down', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/gateways');
  const simulator = await withAccount(orm.em.fork(), account.id).findOneOrFail(Gateway, { kind: 'simulator' });
  const simulated = await client.post(`/settings/gateways/${simulator.id}/test`);
  t.match(simulated.body, /class="notice success" role="status" data-field="test-result">ok: the simulator answers/);

  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization}`);
    response.writeHead(request.url === '/status' ? 401 : 405).end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  await client.post('/settings/gateways', { kind: 'generic', name: 'Up', option_url: `http://127.0.0.1:${port}/send`, option_token: 'tok' });
  await client.post('/settings/gateways', { kind: 'generic', name: 'Wrong token', option_url: `http://127.0.0.1:${port}/send`, option_token: 'bad', option_status_url: `http://127.0.0.1:${port}/status` });
  await client.post('/settings/gateways', { kind: 'generic', name: 'Down', option_url: `http://127.0.0.1:${await freePort()}/send` });
  const byName = async (name: string) => (await withAccount(orm.em.fork(), account.id).findOneOrFail(Gateway, { name })).id;

  const up = await client.post(`/settings/gateways/${await byName('Up')}/test`, {}, { 'hx-request': 'true', 'hx-target': 'div#test-result' });
  t.match(up.body, /^<div id="test-result"><p class="notice success"[^>]*>ok: the send URL answered HTTP 405 \(reachable; without a status URL the token is not checked\)/, 'from htmx, the result alone');
  t.same(requests, ['HEAD /send Bearer tok'], 'nothing was sent');
  const wrong = await client.post(`/settings/gateways/${await byName('Wrong token')}/test`);
  t.match(wrong.body, /notice error[^>]*>failed: the status URL answered HTTP 401/);
  const down = await client.post(`/settings/gateways/${await byName('Down')}/test`);
  t.match(down.body, /notice error[^>]*>failed: no answer \(127\.0\.0\.1:\d+: connect ECONNREFUSED/);
});
