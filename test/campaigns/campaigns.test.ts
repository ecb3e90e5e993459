import t from 'tap';
import crypto from 'node:crypto';
import { buildTestApp, createTenant, addUser, signedIn, createKey } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { audience } from './helpers.js';

const inAnHour = () => {
  const d = new Date(Date.now() + 3600_000);
  // datetime-local in Europe/Paris (the test account's zone)
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d).replace(' ', 'T');
};

t.test('a marketer walks both wizard steps: message, then recipients and a schedule', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const client = await signedIn(app, await addUser(orm, owner.account, 'marketer'));
  const form = await client.get('/create/new');
  const token = /name="id" value="([0-9a-f-]{36})"/.exec(form.body)![1];
  const step1 = await client.post('/create', { id: token, kind: 'batch', name: 'Winter sale', sender: 'ACME', body: 'Hi {{first_name|there}}, -20% today! Reply STOP to opt out', track_links: 'on' });
  t.equal(step1.statusCode, 303);
  const id = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(step1.headers.location as string)![1];
  t.not(id, token, "the campaign's id is the server's, not the form's");
  const again = await client.post('/create', { id: token, kind: 'batch', name: 'Winter sale', sender: 'ACME', body: 'Hi' });
  t.equal(again.headers.location, `/create/${id}/recipients`, 'a double submit does not create a second campaign');
  t.equal(await withAccount(orm.em, account.id).count(Campaign, {}), 1);

  const listPage = await client.get('/create');
  t.match(listPage.body, 'Draft batch');
  t.match(listPage.body, 'Not chosen yet');

  await client.get(`/create/${id}/recipients`);
  t.equal((await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id })).statusCode, 303);
  const step2 = await client.get(`/create/${id}/recipients`);
  t.match(step2.body, /<strong data-reach="receiving">3<\/strong> of 5 contacts will receive it/);
  t.match(step2.body, /<span data-reach="opted-out">1<\/span> opted out, <span data-reach="bad-number">1<\/span> with a bad number/);
  t.match(step2.body, /<td>France \(FR\)<\/td><td class="num">2<\/td><td class="num">2<\/td><td class="num">no price<\/td>/, 'parts per country');
  t.match(step2.body, 'No price applies to FR, DE: set one (or a default) in Settings → Prices before sending.');
  t.match(step2.body, 'placeholders at their longest value among the recipients');
  t.match(step2.body, 'Recipients in FR must be able to reply STOP, which needs an inbound number as the sender');

  const at = inAnHour();
  const scheduled = await client.post(`/create/${id}/schedule`, { when: 'later', at });
  t.equal(scheduled.statusCode, 303);
  const campaign = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id });
  t.equal(campaign.status, 'scheduled');
  t.equal(campaign.estimatedRecipients, 3);
  const table = await client.get('/create');
  t.match(table.body, 'Sent batch');
  t.match(table.body, 'Contact list: Customers – Winter sale');
  const [date, time] = at.split('T');
  const [y, m, d] = date.split('-');
  t.match(table.body, `${d}-${m}-${y} ${time}`, 'Scheduled as DD-MM-YYYY HH:MM in the account time zone');
});

t.test('bad message settings are refused on the field and nothing is saved', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/create/new');
  const cases: [Record<string, string>, string][] = [
    [{ name: '', sender: 'ACME', body: 'Hi' }, 'Give the campaign a name.'],
    [{ name: 'x', sender: 'AB', body: 'Hi' }, 'A sender name has 3 to 11 characters'],
    [{ name: 'x', sender: 'MY SHOP', body: 'Hi' }, 'A sender cannot contain spaces.'],
    [{ name: 'x', sender: '12345', body: 'Hi' }, 'A number sender must be one of your inbound numbers'],
    [{ name: 'x', sender: 'TOOLONGSENDER', body: 'Hi' }, 'A sender name has 3 to 11 characters'],
    [{ name: 'x', sender: 'ACME', body: '' }, 'Write the message.'],
    [{ name: 'x', sender: 'ACME', body: 'Hi {{nickname}}' }, 'Unknown placeholder: {{nickname}}.'],
    [{ name: 'x', sender: 'ACME', body: 'Hi {{First Name}}' }, 'Not a placeholder: {{First Name}}'],
    [{ name: 'x', sender: 'ACME', body: 'x'.repeat(1531) }, 'The message needs 11 parts; at most 10 are allowed.'],
  ];
  for (const [form, message] of cases) {
    const response = await client.post('/create', { kind: 'batch', ...form });
    t.equal(response.statusCode, 422, message);
    t.match(response.body.replace(/&quot;/g, '"'), message);
  }
  t.equal(await withAccount(orm.em, account.id).count(Campaign, {}), 0);
});

t.test('the live counter reports characters, encoding, parts and what forced Unicode', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const viewer = await signedIn(app, await addUser(orm, owner.account, 'viewer'));
  const gsm = await viewer.post('/create/counter', { body: 'x'.repeat(161), kind: 'batch' }, { 'hx-request': 'true' });
  t.equal(gsm.statusCode, 200, 'viewers may use the counter');
  t.match(gsm.body, /data-counter="characters">161</);
  t.match(gsm.body, /data-counter="parts">2</);
  const unicode = await viewer.post('/create/counter', { body: 'It’s “great” — 😀', kind: 'batch' }, { 'hx-request': 'true' });
  t.match(unicode.body, 'Unicode (UCS-2)');
  t.match(unicode.body, 'Replace look-alikes with GSM characters');
  const replaced = await viewer.post('/create/lookalikes', { body: 'It’s “great” — ok', kind: 'batch' }, { 'hx-request': 'true' });
  t.match(replaced.body, 'It&#39;s &quot;great&quot; - ok');
  t.match(replaced.body, '4 characters replaced by GSM equivalents.');
  const inserted = await viewer.post('/create/insert', { body: 'Hello', placeholder: 'first_name', kind: 'batch' }, { 'hx-request': 'true' });
  t.match(inserted.body, 'Hello {{first_name}}');
  t.match(inserted.body, 'each placeholder counts as 10 characters');
});

t.test('a campaign is previewed for a chosen recipient, copied, and deleted before launch', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { segment } = await audience(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/create/new');
  const created = await client.post('/create', { kind: 'batch', name: 'Hallo', sender: 'ACME', body: 'Hallo {{first_name|du|upper}}!' });
  const id = /\/create\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1];
  await client.get(`/create/${id}/recipients`);
  await client.post(`/create/${id}/recipients`, { source: 'segment', segment_id: segment.id });
  const preview = await client.get(`/create/${id}/preview?phone=%2B4915112345603`);
  t.match(preview.body, 'Hallo CARL!');
  const notInSource = await client.get(`/create/${id}/preview?phone=%2B33612345601`);
  t.match(notInSource.body, 'No recipient of this campaign has the number');

  const copied = await client.post(`/create/${id}/copy`);
  const copyId = /\/create\/([0-9a-f-]{36})\/edit/.exec(copied.headers.location as string)![1];
  const copy = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id: copyId }, { populate: ['segment'] });
  t.equal(copy.name, 'Copy of Hallo');
  t.equal(copy.segment?.id, segment.id, 'with the same recipients');
  t.equal(copy.status, 'draft');

  await client.get(`/create/${id}/delete`);
  t.equal((await client.post(`/create/${id}/delete`)).statusCode, 303);
  t.equal(await withAccount(orm.em, account.id).count(Campaign, { id }), 0);
});

t.test('a launched campaign’s message cannot be edited, nor the campaign deleted, but it can be copied', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const campaign = em.create(Campaign, { account, name: 'Gone out', sender: 'ACME', body: 'Hi', status: 'sending', createdBy: 'test' });
  await em.flush();
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}`);
  const edit = await client.post(`/create/${campaign.id}/edit`, { name: 'Changed', sender: 'ACME', body: 'Changed' });
  t.equal(edit.statusCode, 409);
  t.match(edit.body, 'only its name and its unsubscribe landing page text can change, and nothing was saved. Copy it');
  t.equal((await client.post(`/create/${campaign.id}/delete`)).statusCode, 409);
  t.equal((await client.post(`/create/${campaign.id}/copy`)).statusCode, 303);
  const unchanged = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id: campaign.id });
  t.same([unchanged.name, unchanged.body], ['Gone out', 'Hi']);
});

t.test('scheduling needs recipients, a time at least a minute ahead, and receiving contacts', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/create/new');
  const created = await client.post('/create', { kind: 'batch', name: 'Soon', sender: 'ACME', body: 'Hi STOP' });
  const id = /\/create\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1];
  await client.get(`/create/${id}/recipients`);
  const noRecipients = await client.post(`/create/${id}/schedule`, { when: 'now' });
  t.equal(noRecipients.statusCode, 422);
  t.match(noRecipients.body, 'Choose the recipients before scheduling');
  await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id });
  const past = await client.post(`/create/${id}/schedule`, { when: 'later', at: '2020-01-01T10:00' });
  t.equal(past.statusCode, 422);
  t.match(past.body, 'Choose a time at least one minute from now.');
  const garbage = await client.post(`/create/${id}/schedule`, { when: 'later', at: 'tomorrow-ish' });
  t.match(garbage.body, 'is not a date and time');
  t.equal((await client.post(`/create/${id}/schedule`, { when: 'now' })).statusCode, 303);
  t.equal((await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id })).status, 'scheduled');
  const otherList = await client.post(`/create/${id}/recipients`, { source: 'list', list_id: '00000000-0000-4000-8000-000000000000' });
  t.equal(otherList.statusCode, 422);
  t.match(otherList.body, 'There is no such contact list.');
});

t.test('the campaigns API creates, edits, schedules and deletes campaigns', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { list, segment } = await audience(orm, account);
  const key = await createKey(orm, account);
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });

  const invalid = await call('POST', '/api/v1/sms-campaigns', { name: '', sender: 'A B', body: 'Hi {{nope}}', recipients: { list_id: 'x' } });
  t.equal(invalid.statusCode, 422);
  t.same(Object.keys(invalid.json().error.fields).sort(), ['body', 'name', 'recipients', 'sender']);
  t.equal(invalid.json().error.code, 'validation');
  t.equal(await withAccount(orm.em, account.id).count(Campaign, {}), 0, 'nothing saved');

  const created = await call('POST', '/api/v1/sms-campaigns', { name: 'API sale', sender: 'ACME', body: 'Hi {{first_name}} STOP', recipients: { list_id: list.id } });
  t.equal(created.statusCode, 201);
  const id = created.json().id;
  t.match(created.json(), { type: 'Draft batch', status: 'draft', recipients: { source: 'list', list_id: list.id }, encoding: 'GSM-7', parts: 1 });

  const patched = await call('PATCH', `/api/v1/sms-campaigns/${id}`, { body: 'Changed STOP', recipients: { segment_id: segment.id } });
  t.match(patched.json(), { body: 'Changed STOP', recipients: { source: 'segment', segment_id: segment.id } });
  const badPatch = await call('PATCH', `/api/v1/sms-campaigns/${id}`, { body: 'x', recipients: { segment_id: 'nope' } });
  t.equal(badPatch.statusCode, 422);
  t.equal((await call('GET', `/api/v1/sms-campaigns/${id}`)).json().body, 'Changed STOP', 'a refused PATCH changes nothing');

  t.equal((await call('POST', `/api/v1/sms-campaigns/${id}/schedule`, { at: '2020-01-01T00:00:00Z' })).statusCode, 422);
  const at = new Date(Date.now() + 2 * 3600_000).toISOString();
  const scheduled = await call('POST', `/api/v1/sms-campaigns/${id}/schedule`, { at });
  t.equal(scheduled.statusCode, 200);
  t.match(scheduled.json(), { status: 'scheduled', type: 'Sent batch', estimated_recipients: 1 });
  t.equal(new Date(scheduled.json().scheduled_at).getTime(), new Date(at).getTime());

  const listed = await call('GET', '/api/v1/sms-campaigns?status=scheduled');
  t.equal(listed.json().campaigns.length, 1);
  const automation = await call('POST', '/api/v1/sms-campaigns', { name: 'Welcome', sender: 'ACME', body: 'Welcome {{event.code}}', recipients: { automation: true } });
  t.equal(automation.statusCode, 201);
  t.equal(automation.json().type, 'Automation center campaign');
  t.equal((await call('POST', `/api/v1/sms-campaigns/${automation.json().id}/schedule`, { at: 'now' })).statusCode, 409);

  t.equal((await call('DELETE', `/api/v1/sms-campaigns/${id}`)).statusCode, 204);
  t.equal((await call('GET', `/api/v1/sms-campaigns/${id}`)).statusCode, 404);
});

t.test('a list that a campaign sends to cannot be deleted, and the page says why', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const em = withAccount(orm.em, account.id);
  em.create(Campaign, { account, name: 'Uses the list', sender: 'ACME', body: 'Hi', createdBy: 'test', recipientSource: 'list', list });
  await em.flush();
  const client = await signedIn(app, owner);
  await client.get(`/contacts/lists/${list.id}/delete`);
  const refused = await client.post(`/contacts/lists/${list.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'it is the recipient source of Uses the list');
  t.equal((await client.get(`/contacts/lists/${list.id}`)).statusCode, 200, 'the list is still there');
});

t.test("a form token naming another account's campaign is just an unknown token: the new campaign gets the server's id", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const a = await createTenant(orm);
  const b = await createTenant(orm);
  const theirs = await signedIn(app, a.owner);
  await theirs.get('/create/new');
  const created = await theirs.post('/create', { kind: 'batch', name: 'Theirs', sender: 'ACME', body: 'Hi STOP' });
  const foreignId = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(created.headers.location as string)![1];
  const mine = await signedIn(app, b.owner);
  await mine.get('/create/new');
  const unknown = await mine.post('/create', { id: crypto.randomUUID(), kind: 'batch', name: 'Mine 1', sender: 'ACME', body: 'Hi STOP' });
  const foreign = await mine.post('/create', { id: foreignId, kind: 'batch', name: 'Mine 2', sender: 'ACME', body: 'Hi STOP' });
  t.equal(unknown.statusCode, 303);
  t.equal(foreign.statusCode, 303, 'a foreign id answers as an unknown one does');
  t.notMatch(foreign.headers.location as string, foreignId, 'and does not lead to the other account');
  t.equal(await withAccount(orm.em, b.account.id).count(Campaign, {}), 2, 'both created in my account');
  t.equal((await withAccount(orm.em, a.account.id).findOneOrFail(Campaign, { id: foreignId })).name, 'Theirs', "the other account's campaign is untouched");
});
