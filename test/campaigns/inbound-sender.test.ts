// A campaign can be sent from one of the account's inbound numbers (the only sender that can be
// answered): the wizard offers them, takes one typed in any common form and keeps it in E.164,
// refuses other numbers, and step 2 stops asking for an inbound-number sender; the API does the same.
import t from 'tap';
import { buildTestApp, createTenant, signedIn, createKey, fieldError, type Tenant } from '../helper.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { addInboundNumber } from '../../src/modules/gateways/inbound-numbers.service.js';
import { audience } from './helpers.js';

const STOP_SENDER_WARNING = 'Recipients in FR must be able to reply STOP, which needs an inbound number as the sender';

async function withNumbers(orm: MikroORM, tenant: Tenant, ...numbers: string[]) {
  for (const number of numbers) await addInboundNumber(withAccount(orm.em, tenant.account.id), tenant.account, { number });
}

const loadCampaign = (orm: MikroORM, accountId: string, id: string) => withAccount(orm.em, accountId).findOneOrFail(Campaign, { id }, { populate: ['inboundNumber'] });

t.test("the wizard offers the account's inbound numbers as senders and sends from one typed in a national form", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const tenant = await createTenant(orm);
  const { account, owner } = tenant;
  await withAccount(orm.em, account.id).nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  await withNumbers(orm, tenant, '+33644000000', '+33644000002');
  const { list } = await audience(orm, account);
  const client = await signedIn(app, owner);

  const form = await client.get('/create/new');
  t.match(form.body, '<datalist id="inbound-numbers"><option value="+33644000000"></option><option value="+33644000002"></option></datalist>');
  t.match(form.body, 'Your inbound numbers: <code data-inbound-number>+33644000000</code>, <code data-inbound-number>+33644000002</code>.');

  const created = await client.post('/create', { kind: 'batch', name: 'Answerable', sender: '06 44 00 00 02', body: 'Hi, reply STOP to opt out' });
  t.equal(created.statusCode, 303);
  const id = /\/create\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1];
  const campaign = await loadCampaign(orm, account.id, id);
  t.equal(campaign.sender, '+33644000002', 'the sender is kept in E.164');
  t.equal(campaign.inboundNumber?.number, '+33644000002', 'and the campaign is sent from that inbound number');

  await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id });
  const step2 = await client.get(`/create/${id}/recipients`);
  t.notMatch(step2.body, STOP_SENDER_WARNING, 'French recipients can reply STOP to an inbound number');

  const renamed = await client.post(`/create/${id}/edit`, { name: 'Answerable', sender: 'ACME', body: 'Hi, reply STOP to opt out' });
  t.equal(renamed.statusCode, 303);
  const named = await loadCampaign(orm, account.id, id);
  t.same([named.sender, named.inboundNumber], ['ACME', null], 'a name as sender leaves the inbound number');
  t.match((await client.get(`/create/${id}/recipients`)).body, STOP_SENDER_WARNING, 'and step 2 asks for one again');

  const again = await client.post(`/create/${id}/edit`, { name: 'Answerable', sender: '+33644000000', body: 'Hi, reply STOP to opt out' });
  t.equal(again.statusCode, 303);
  t.equal((await loadCampaign(orm, account.id, id)).inboundNumber?.number, '+33644000000', 'an edit can choose a number again');
  await client.post(`/create/${id}/copy`);
  const copy = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { name: 'Copy of Answerable' }, { populate: ['inboundNumber'] });
  t.equal(copy.inboundNumber?.number, '+33644000000', 'a copy is sent from the same number');
});

t.test('a number that is not one of the account inbound numbers is refused as sender, naming the ones it has', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const tenant = await createTenant(orm);
  const other = await createTenant(orm);
  await withNumbers(orm, other, '+33644000009');
  const client = await signedIn(app, tenant.owner);
  await client.get('/create/new');
  const none = await client.post('/create', { kind: 'batch', name: 'x', sender: '+33644000009', body: 'Hi' });
  t.equal(none.statusCode, 422);
  t.match(none.body, fieldError('sender', 'A number sender must be one of your inbound numbers, and you have none yet (owners add them under Settings → Inbound numbers). Use a name (3 to 11 letters and digits) instead.'), "another account's number is not one of ours");
  t.match((await client.get('/create/new')).body, 'You have no inbound number yet');

  await withNumbers(orm, tenant, '+33644000000');
  const wrong = await client.post('/create', { kind: 'batch', name: 'x', sender: '+33 6 44 00 00 01', body: 'Hi' });
  t.equal(wrong.statusCode, 422);
  t.match(wrong.body, fieldError('sender', 'A number sender must be one of your inbound numbers (+33644000000); &quot;+33 6 44 00 00 01&quot; is not.'));
  t.equal(await withAccount(orm.em, tenant.account.id).count(Campaign, {}), 0, 'nothing saved');
});

t.test('the campaigns API takes an inbound number as sender and shows it as inbound_number', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const tenant = await createTenant(orm);
  await withNumbers(orm, tenant, '+33644000000');
  const { list } = await audience(orm, tenant.account);
  const key = await createKey(orm, tenant.account);
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });

  const refused = await call('POST', '/api/v1/sms-campaigns', { name: 'API', sender: '+33612345678', body: 'Hi STOP', recipients: { list_id: list.id } });
  t.equal(refused.statusCode, 422);
  t.match(refused.json().error.fields.sender, 'A number sender must be one of your inbound numbers (+33644000000)');

  const created = await call('POST', '/api/v1/sms-campaigns', { name: 'API', sender: '+33 6 44 00 00 00', body: 'Hi STOP', recipients: { list_id: list.id } });
  t.equal(created.statusCode, 201);
  t.match(created.json(), { sender: '+33644000000', inbound_number: '+33644000000' });
  const id = created.json().id;
  t.equal((await call('GET', `/api/v1/sms-campaigns/${id}`)).json().inbound_number, '+33644000000');
  t.equal((await call('GET', '/api/v1/sms-campaigns')).json().campaigns[0].inbound_number, '+33644000000', 'in the list too');
  t.equal((await call('PATCH', `/api/v1/sms-campaigns/${id}`, { body: 'Changed STOP' })).json().inbound_number, '+33644000000', 'a PATCH of the text keeps it');

  const named = await call('PATCH', `/api/v1/sms-campaigns/${id}`, { sender: 'ACME' });
  t.match(named.json(), { sender: 'ACME', inbound_number: null });
  t.equal((await loadCampaign(orm, tenant.account.id, id)).inboundNumber, null);
});
