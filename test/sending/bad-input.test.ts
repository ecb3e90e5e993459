// Bad input at the edge, for sending: the test send (page and API), the campaign page and its
// controls, the public short links, Settings → Quiet hours and the delivery-report webhook.
// A malformed request is refused before the handler runs and changes nothing; a malformed id or
// token is "not found", as an unknown one is.
import t from 'tap';
import { buildTestApp, createTenant, createKey, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query } from './helpers.js';

const PUBLIC_URL = 'http://localhost:3000';

async function setup(t: Parameters<typeof buildTestApp>[0], options: Parameters<typeof readyToSend>[2] = {}) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const ready = await readyToSend(orm, account, options);
  const key = await createKey(orm, account);
  const client = await signedIn(app, owner);
  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  const messages = async () => Number((await query<{ n: string }>(orm, 'select count(*) as n from message where campaign_id = ?', [ready.campaign.id]))[0].n);
  const status = async () => (await query<{ status: string }>(orm, 'select status from campaign where id = ?', [ready.campaign.id]))[0].status;
  return { app, orm, account, owner, key, client, api, messages, status, ...ready };
}

t.test('test numbers through the API must be a list of strings; more than five is the rule the page states', async (t) => {
  const { api, campaign, messages } = await setup(t);
  const url = `/api/v1/sms-campaigns/${campaign.id}/test`;
  const PHONES = '"phones" must be an array of strings.';
  const text = await api('POST', url, { phones: '+33612345601, +33612345602' });
  t.equal(text.statusCode, 400, 'one text with commas is not a list');
  t.same(text.json().error, { code: 'bad_request', message: PHONES, fields: { phones: PHONES } });
  const number = await api('POST', url, { phones: ['+33612345601', 33612345602] });
  t.equal(number.statusCode, 400);
  t.same(number.json().error.fields, { 'phones.1': PHONES }, 'the item is named');
  const nested = await api('POST', url, { phones: [['+33612345601']] });
  t.same(nested.json().error.fields, { 'phones.0': PHONES });
  const object = await api('POST', url, { phones: { first: '+33612345601' } });
  t.equal(object.statusCode, 400);
  const notAnObject = await api('POST', url, ['+33612345601']);
  t.same(notAnObject.json().error, { code: 'bad_request', message: 'Send a JSON object.', fields: { body: 'Send a JSON object.' } });

  const six = await api('POST', url, { phones: ['+33612345601', '+33612345611', '+33612345612', '+33612345613', '+33612345614', '+33612345615'] });
  t.equal(six.statusCode, 422, 'six numbers break the rule of a test: 422, in the words of the campaign page');
  t.same(six.json().error, { code: 'validation', message: 'Please correct the highlighted fields.', fields: { phones: 'A test goes to at most 5 numbers.' } });
  const many = await api('POST', url, { phones: Array.from({ length: 101 }, (_, i) => `+336123456${String(i).padStart(2, '0')}`) });
  t.equal(many.statusCode, 400, 'a hundred and one is refused at the edge');
  t.same(many.json().error.fields, { phones: 'At most 100 items.' });
  const badNumber = await api('POST', url, { phones: ['+33612345601', 'hello'] });
  t.equal(badNumber.statusCode, 422);
  t.same(badNumber.json().error.fields, { phones: 'Not a phone number: hello.' });
  const none = await api('POST', url, {});
  t.same([none.statusCode, none.json().error.fields], [422, { phones: 'Enter one to five phone numbers.' }]);
  const withComma = await api('POST', url, { phones: ['+33612345601, +33612345602'] });
  t.equal(withComma.statusCode, 422, 'each item of the list is one number');
  t.equal(await messages(), 0, 'no test was written');

  const sent = await api('POST', url, { phones: ['+33612345601', ' +33699999999 '] });
  t.equal(sent.statusCode, 202);
  t.same(sent.json(), { queued: 2 });
  t.equal(await messages(), 2);
});

t.test('a test form sent with its field twice or over-long shows the campaign page again, the field marked', async (t) => {
  const { client, campaign, messages } = await setup(t);
  await client.get(`/create/${campaign.id}`);
  const twice = await client.postRaw(`/create/${campaign.id}/test`, 'phones=%2B33612345601&phones=%2B33612345602');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>Spring sale</h1>', 'the campaign page');
  t.match(twice.body, /<input name="phones" value=""[^>]*aria-invalid="true"/);
  t.match(twice.body, '<small class="field-error" id="phones-error">Must be a single value, not 2 values.</small>');
  const long = await client.post(`/create/${campaign.id}/test`, { phones: '+33612345601,'.repeat(100) });
  t.equal(long.statusCode, 422);
  t.match(long.body, '<small class="field-error" id="phones-error">At most 1,000 characters.</small>');
  t.match(long.body, 'value="+33612345601,+33612345601,', 'what was typed is kept');
  const nul = await client.postRaw(`/create/${campaign.id}/test`, 'phones=%2B336123456%0001');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, 'Contains a NUL character.');
  t.equal(await messages(), 0, 'no test was written');
  const tooMany = await client.post(`/create/${campaign.id}/test`, { phones: '+33612345601, +33612345611, +33612345612, +33612345613, +33612345614, +33612345615' });
  t.equal(tooMany.statusCode, 422, "the service's refusals are said under the field too");
  t.match(tooMany.body, /<small class="field-error" id="phones-error">[^<]*at most 5 numbers/);
});

t.test('a malformed campaign id on the campaign page, its controls and the sending API is "not found"', async (t) => {
  const { client, api, campaign, status, messages } = await setup(t);
  for (const url of ['/create/abc', '/create/abc/progress', `/create/${campaign.id.toUpperCase()}0`]) {
    const response = await client.get(url, { 'hx-request': 'true' });
    t.equal(response.statusCode, 404, `${url}: 404`);
    t.match(response.body, 'There is no such campaign.');
  }
  await client.get(`/create/${campaign.id}`);
  for (const action of ['launch', 'pause', 'resume', 'cancel']) {
    t.equal((await client.post(`/create/abc/${action}`)).statusCode, 404, `${action}: 404`);
  }
  t.equal((await client.postRaw('/create/abc/test', 'phones=1&phones=2')).statusCode, 404, 'the URL is looked at before the body');

  for (const [method, path] of [['POST', 'launch'], ['POST', 'pause'], ['POST', 'resume'], ['POST', 'cancel'], ['POST', 'test'], ['GET', 'stats']] as const) {
    const response = await api(method, `/api/v1/sms-campaigns/not-a-uuid/${path}`);
    t.equal(response.statusCode, 404, `${method} ${path}: 404`);
    t.same(response.json(), { error: { code: 'not_found', message: 'There is no such campaign.' } });
  }
  const list = await api('POST', `/api/v1/sms-campaigns/${campaign.id}/launch`, [1, 2]);
  t.equal(list.statusCode, 400, 'a control given a list for a body');
  t.equal(list.json().error.message, 'Send a JSON object.');
  const launchForm = await client.postRaw(`/create/${campaign.id}/launch`, '_csrf=x');
  t.equal(launchForm.statusCode, 400, 'a button whose form repeats its token');
  t.equal(await status(), 'draft', 'nothing launched');
  t.equal(await messages(), 0);
  const progress = await client.get(`/create/${campaign.id}/progress?seen=draft&seen=sending`, { 'hx-request': 'true' });
  t.equal(progress.statusCode, 400);
});

t.test('a malformed short-link token is the same "link not found" page as an unknown one', async (t) => {
  const { app, orm, account, campaign } = await setup(t, { body: 'Sale! See https://shop.example.com/sale Stop: {{unsubscribe_link}}' });
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, PUBLIC_URL);
  await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: PUBLIC_URL });
  const [message] = await query<{ token: string; contact_id: string }>(orm, `select token, contact_id from message where campaign_id = ? and phone = '+33612345601'`, [campaign.id]);
  const page = (response: { statusCode: number; body: string }, what: string) => {
    t.equal(response.statusCode, 404, `${what}: 404`);
    t.match(response.body, '<h1>Link not found</h1>', `${what}: the link page`);
    t.match(response.body, 'This link is not valid. It may have been mistyped.', `${what}: its words`);
  };
  page(await app.inject({ method: 'GET', url: '/u/AAAAAAAAAA' }), 'an unknown token');
  page(await app.inject({ method: 'GET', url: '/u/short' }), 'a short token');
  page(await app.inject({ method: 'GET', url: `/u/${message.token}x` }), 'a token too long');
  page(await app.inject({ method: 'GET', url: `/u/${message.token.slice(0, 9)}-` }), 'a token with a dash');
  page(await app.inject({ method: 'GET', url: `/u/${message.token.slice(0, 9)}%00` }), 'a token with a NUL');
  page(await app.inject({ method: 'GET', url: `/u/${message.token.slice(0, 8)}%F0%9F%98%80` }), 'a token with an emoji');
  page(await app.inject({ method: 'POST', url: '/u/%27%20or%201%3D1' }), 'a confirmation for a malformed token');
  page(await app.inject({ method: 'GET', url: `/l/${message.token}` }), 'a link without its position');
  page(await app.inject({ method: 'GET', url: `/l/${message.token}12` }), 'a link with two characters of position');
  page(await app.inject({ method: 'GET', url: `/l/${message.token}%00` }), 'a link with a NUL');
  page(await app.inject({ method: 'GET', url: '/l/AAAAAAAAAA1' }), 'an unknown link');

  const [contact] = await query<{ sms_opt_in: boolean | null }>(orm, 'select sms_opt_in from contact where id = ?', [message.contact_id]);
  t.not(contact.sms_opt_in, false, 'nobody was opted out');
  t.same(await query(orm, 'select 1 from click'), [], 'no click recorded');
  const link = await app.inject({ method: 'GET', url: `/l/${message.token}1` });
  t.same([link.statusCode, link.headers.location], [302, 'https://shop.example.com/sale'], 'a real link still works');
});

t.test('a repeated or malformed quiet-hours setting shows the form again and changes nothing', async (t) => {
  const { client, orm, account } = await setup(t);
  await client.get('/settings/quiet-hours');
  const twice = await client.postRaw('/settings/quiet-hours', 'country=DE&weekdays_from=09%3A00&weekdays_from=10%3A00&weekdays_to=19%3A00');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>Quiet hours</h1>');
  t.match(twice.body, '<small class="field-error" id="weekdays-error">Must be a single value, not 2 values.</small>', "on the day's row");
  t.match(twice.body, /name="weekdays_to"[^>]*value="19:00"/, 'what was typed is kept');
  const nul = await client.postRaw('/settings/quiet-hours', 'country=D%00E');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, '<small class="field-error" id="country-error">Contains a NUL character.</small>');
  t.same((await query<{ quiet_hour_rules: unknown }>(orm, 'select quiet_hour_rules from account where id = ?', [account.id]))[0].quiet_hour_rules, null, 'nothing saved');
  t.equal((await client.post('/settings/quiet-hours/XYZ/reset')).statusCode, 404, 'a country that cannot be one is not found');
  t.equal((await client.post('/settings/quiet-hours/*/reset')).statusCode, 303, 'every other country (*) is one');
  t.equal((await client.postRaw('/settings/quiet-hours/enabled', 'enabled=on&enabled=on')).statusCode, 400);
});

t.test('the webhook answers as before: 404 for a malformed gateway id, and its secret before the body', async (t) => {
  const { app, orm, account } = await setup(t);
  const [gateway] = await query<{ id: string; secret: string }>(orm, 'select id, secret from gateway where account_id = ? and is_default', [account.id]);
  const post = (gatewayId: string, body: string, secret = gateway.secret) =>
    app.inject({ method: 'POST', url: `/webhooks/${gatewayId}/dlr`, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, payload: body });
  const rejected = async () => (await query<{ rejected_requests: number }>(orm, 'select rejected_requests from gateway where id = ?', [gateway.id]))[0].rejected_requests;

  const unknown = await post('00000000-0000-4000-8000-000000000000', '{"id": "x", "status": "delivered"}');
  for (const id of ['not-a-gateway', `${gateway.id}0`, '%00']) {
    const malformed = await post(id, '{"id": "x", "status": "delivered"}');
    t.equal(malformed.statusCode, 404, `${id}: 404`);
    if (id !== '%00') t.same(malformed.json(), unknown.json(), `${id}: the answer to an unknown gateway`);
  }
  t.same(unknown.json(), { error: { code: 'not_found', message: 'There is no such gateway.' } });

  const stranger = await post(gateway.id, '[1, 2]', 'not-the-secret');
  t.equal(stranger.statusCode, 401, 'a wrong secret is 401 whatever the body');
  const malformed = await post(gateway.id, '{"id": ["x"], "status": "delivered"}');
  t.same([malformed.statusCode, malformed.json().error.code], [400, 'malformed'], "a report of the wrong shape is the gateway kind's 400");
  const nul = await post(gateway.id, '{"id": "x\\u0000", "status": "delivered"}');
  t.equal(nul.statusCode, 400, 'a NUL is refused for every route');
  t.equal(await rejected(), 3, 'each refusal of the known gateway is counted');
});
