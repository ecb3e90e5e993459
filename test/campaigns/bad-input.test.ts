// Bad input at the edge, for the Create tab and the campaigns API: a repeated field, a list or an
// object where text belongs, a NUL byte, an unpaired surrogate, an over-long value or a malformed
// id is refused before the handler runs. The wizard's forms come back with 422 and the field
// marked, the API answers 400 with `fields`, a malformed campaign id is 404 as an unknown one is.
// Nothing is saved.
import t from 'tap';
import { buildTestApp, createTenant, createKey, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { audience } from './helpers.js';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const people = await audience(orm, account);
  const key = await createKey(orm, account);
  const client = await signedIn(app, owner);
  const em = () => withAccount(orm.em.fork(), account.id);
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  /** A draft sending to the contact list. */
  const draft = async () => {
    const fork = em();
    const campaign = fork.create(Campaign, { account, name: 'Spring sale', sender: 'ACME', body: 'Hi {{first_name|there}}, reply STOP to opt out', recipientSource: 'list', list: people.list, createdBy: 'test' });
    await fork.flush();
    return campaign;
  };
  const stored = (id: string) => em().findOneOrFail(Campaign, { id }, { populate: ['segment', 'list'] });
  return { app, orm, account, client, em, api, draft, stored, ...people };
}

t.test('a field sent twice in the new-campaign form comes back as the form, the field marked, and nothing is saved', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/create/new');
  const response = await client.postRaw('/create', 'kind=batch&name=Spring&name=Summer&sender=ACME&body=Hi+STOP');
  t.equal(response.statusCode, 422);
  t.match(response.headers['content-type'], 'text/html');
  t.match(response.body, '<h1>New SMS campaign</h1>', 'the form again');
  t.match(response.body, 'Please correct the highlighted fields. Nothing was saved.');
  t.match(response.body, /<input name="name" required maxlength="100" value="" aria-invalid="true">/, 'the name is marked');
  t.match(response.body, '<small class="field-error" id="name-error">Must be a single value, not 2 values.</small>');
  t.match(response.body, /name="sender" required maxlength="32" value="ACME"/, 'what was typed elsewhere is kept');
  t.match(response.body, '>Hi STOP</textarea>');

  const hidden = await client.postRaw('/create', 'kind=batch&kind=automation&name=Spring&sender=ACME&body=Hi+STOP');
  t.equal(hidden.statusCode, 422, 'a hidden field sent twice too');
  t.match(hidden.body, 'kind: must be a single value, not 2 values. Nothing was saved.', 'said in the alert, as no field shows it');

  const box = await client.postRaw('/create', 'name=Spring&sender=ACME&body=Hi&track_links=on&track_links=on');
  t.equal(box.statusCode, 422);
  t.match(box.body, 'track_links: must be a single value, not 2 values.');
  t.equal(await em().count(Campaign, {}), 0, 'nothing saved');
});

t.test('editing the message with its text sent twice shows the edit form again and changes nothing', async (t) => {
  const { client, draft, stored } = await setup(t);
  const campaign = await draft();
  await client.get(`/create/${campaign.id}/edit`);
  const response = await client.postRaw(`/create/${campaign.id}/edit`, 'name=Changed&sender=ACME&body=one&body=two');
  t.equal(response.statusCode, 422);
  t.match(response.body, '<h1>Edit the message</h1>');
  t.match(response.body, /<textarea name="body"[^>]*aria-invalid="true"/, 'the text is marked');
  t.match(response.body, '<small class="field-error" id="body-error">Must be a single value, not 2 values.</small>', 'and the counter says why');
  t.match(response.body, /name="name" required maxlength="100" value="Changed"/);
  const after = await stored(campaign.id);
  t.same([after.name, after.body], ['Spring sale', campaign.body], 'unchanged');
});

t.test('a repeated choice in step 2 shows step 2 again with the problem on its form, and nothing changes', async (t) => {
  const { client, draft, stored, segment, list } = await setup(t);
  const campaign = await draft();
  await client.get(`/create/${campaign.id}/recipients`);

  const schedule = await client.postRaw(`/create/${campaign.id}/schedule`, 'when=now&when=later&at=2030-01-01T10%3A00');
  t.equal(schedule.statusCode, 422);
  t.match(schedule.body, '2. Recipients and scheduling', 'step 2 again');
  t.match(schedule.body, '<small class="field-error" id="at-error">Must be a single value, not 2 values.</small>', 'on the schedule');
  const notScheduled = await stored(campaign.id);
  t.same([notScheduled.status, notScheduled.scheduledAt], ['draft', null], 'not scheduled');

  const recipients = await client.postRaw(`/create/${campaign.id}/recipients`, `source=segment&segment_id=${segment.id}&segment_id=${segment.id}`);
  t.equal(recipients.statusCode, 422);
  t.match(recipients.body, '<small class="field-error" id="recipients-error">Must be a single value, not 2 values.</small>', 'on the recipient source');
  const after = await stored(campaign.id);
  t.same([after.recipientSource, after.list?.id, after.segment], ['list', list.id, null], 'the recipients are unchanged');

  const rightOnes = await client.post(`/create/${campaign.id}/schedule`, { when: 'now' });
  t.equal(rightOnes.statusCode, 303, 'the same form, well formed, schedules');
});

t.test('an object or a list where the campaigns API takes text is a 400 naming the field, and nothing is saved', async (t) => {
  const { api, em, draft } = await setup(t);
  const asObject = await api('POST', '/api/v1/sms-campaigns', { name: { en: 'Sale' }, sender: 'ACME', body: 'Hi STOP' });
  t.equal(asObject.statusCode, 400);
  t.same(asObject.json(), { error: { code: 'bad_request', message: 'name: must be text, not an object.', fields: { name: 'Must be text, not an object.' } } });
  const twoTexts = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: 'ACME', body: ['Hi', 'STOP'] });
  t.same(twoTexts.json().error.fields, { body: 'Must be a single value, not 2 values.' });
  const oneItem = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: ['ACME'], body: 'Hi STOP' });
  t.equal(oneItem.json().error.message, 'sender: must be text, not a list.', 'a JSON ["x"] is not taken for "x"');
  const tracking = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: 'ACME', body: 'Hi STOP', track_links: 'yes' });
  t.same(tracking.json().error.fields, { track_links: 'Must be true or false, not text.' });
  const kind = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: 'ACME', body: 'Hi STOP', kind: 'newsletter' });
  t.equal(kind.statusCode, 400);
  t.match(kind.json().error.message, /^kind: must be one of "batch", "automation"\.$/);
  const notAnObject = await api('POST', '/api/v1/sms-campaigns', [{ name: 'Sale' }]);
  t.equal(notAnObject.statusCode, 400);
  t.same(notAnObject.json().error, { code: 'bad_request', message: 'Send a JSON object.', fields: { body: 'Send a JSON object.' } });
  t.equal(await em().count(Campaign, {}), 0, 'no campaign was created');

  const campaign = await draft();
  const patchList = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { name: ['New', 'name'] });
  t.equal(patchList.statusCode, 400);
  t.same(patchList.json().error.fields, { name: 'Must be a single value, not 2 values.' });
  const patchObject = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { name: 'New name', body: { text: 'Hi' } });
  t.equal(patchObject.statusCode, 400);
  t.same(patchObject.json().error.fields, { body: 'Must be text, not an object.' });
  const after = (await api('GET', `/api/v1/sms-campaigns/${campaign.id}`)).json();
  t.same([after.name, after.body], ['Spring sale', campaign.body], 'a refused PATCH changes nothing');

  const at = await api('POST', `/api/v1/sms-campaigns/${campaign.id}/schedule`, { at: 1767225600000 });
  t.equal(at.statusCode, 400);
  t.same(at.json().error.fields, { at: 'Must be text, not a number.' });
  t.equal((await api('GET', `/api/v1/sms-campaigns/${campaign.id}`)).json().status, 'draft');
});

t.test('recipients of the wrong shape are refused by the API before anything is saved', async (t) => {
  const { api, em, draft, list, segment } = await setup(t);
  const base = { name: 'Sale', sender: 'ACME', body: 'Hi STOP' };
  const cases: [unknown, Record<string, string>][] = [
    ['list', { recipients: 'Must be an object, not text.' }],
    [[list.id], { recipients: 'Must be an object, not a list.' }],
    [null, { recipients: 'Must be an object, not null.' }],
    [{ list_id: [list.id] }, { 'recipients.list_id': 'Must be text or null, not a list.' }],
    [{ segment_id: { id: segment.id } }, { 'recipients.segment_id': 'Must be text or null, not an object.' }],
    [{ automation: 'yes' }, { 'recipients.automation': 'Must be true or false or null, not text.' }],
  ];
  for (const [recipients, fields] of cases) {
    const response = await api('POST', '/api/v1/sms-campaigns', { ...base, recipients });
    t.equal(response.statusCode, 400, `${JSON.stringify(recipients)}: 400`);
    t.same(response.json().error.fields, fields, `${JSON.stringify(recipients)}: names the field`);
  }
  t.equal(await em().count(Campaign, {}), 0, 'no campaign was created');

  const campaign = await draft();
  const patched = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { recipients: { segment_id: [segment.id] } });
  t.equal(patched.statusCode, 400);
  const shown = (await api('GET', `/api/v1/sms-campaigns/${campaign.id}`)).json();
  t.same(shown.recipients, { source: 'list', segment_id: null, list_id: list.id }, 'unchanged');
  const roundTrip = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { name: 'Renamed', recipients: shown.recipients });
  t.equal(roundTrip.statusCode, 200, 'the recipients as GET shows them (null for the source not chosen) can be sent back');
  const unknown = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { recipients: { list_id: 'not-a-list' } });
  t.equal(unknown.statusCode, 422, 'an id of the right type that names no list is the service’s answer');
  t.same(unknown.json().error.fields, { recipients: 'There is no such contact list.' });
});

t.test('a NUL byte or an unpaired surrogate in a campaign is refused, through the API and the form', async (t) => {
  const { api, em, client, draft, stored } = await setup(t);
  const nul = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: 'ACME', body: 'Hi\u0000 STOP' });
  t.equal(nul.statusCode, 400);
  t.same(nul.json().error, { code: 'bad_request', message: 'body: contains a NUL character.', fields: { body: 'Contains a NUL character.' } });
  // Raw JSON text, as a client sends it.
  const surrogate = await api('POST', '/api/v1/sms-campaigns', '{"name": "Sale \\ud800", "sender": "ACME", "body": "Hi STOP"}');
  t.equal(surrogate.statusCode, 400);
  t.same(surrogate.json().error.fields, { name: 'Contains an invalid character (an unpaired surrogate).' });
  const nested = await api('POST', '/api/v1/sms-campaigns', '{"name": "Sale", "sender": "ACME", "body": "Hi STOP", "recipients": {"list_id": "\\udc00"}}');
  t.same(nested.json().error.fields, { 'recipients.list_id': 'Contains an invalid character (an unpaired surrogate).' });
  t.equal(await em().count(Campaign, {}), 0);

  await client.get('/create/new');
  const form = await client.postRaw('/create', 'kind=batch&name=Sale&sender=ACME&body=Hi%00+STOP');
  t.equal(form.statusCode, 422);
  t.match(form.body, '<small class="field-error" id="body-error">Contains a NUL character.</small>');
  t.match(form.body, '>Hi STOP</textarea>', 'the text comes back without the NUL');
  t.equal(await em().count(Campaign, {}), 0, 'nothing saved');

  const campaign = await draft();
  await client.get(`/create/${campaign.id}/edit`);
  const edit = await client.postJson(`/create/${campaign.id}/edit`, '{"name": "Sale \\udc00", "sender": "ACME", "body": "Hi STOP"}');
  t.equal(edit.statusCode, 422, 'a form posted as JSON answers with its form');
  t.match(edit.body, '<small class="field-error" id="name-error">Contains an invalid character (an unpaired surrogate).</small>');
  const patched = await api('PATCH', `/api/v1/sms-campaigns/${campaign.id}`, { body: 'Bye\u0000' });
  t.equal(patched.statusCode, 400);
  t.same([(await stored(campaign.id)).name, (await stored(campaign.id)).body], ['Spring sale', campaign.body], 'unchanged');
});

t.test('an over-long name is refused at the edge; the service still explains its own limit', async (t) => {
  const { api, em, client } = await setup(t);
  await client.get('/create/new');
  const huge = await client.post('/create', { kind: 'batch', name: 'x'.repeat(5000), sender: 'ACME', body: 'Hi STOP' });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, '<small class="field-error" id="name-error">At most 1,000 characters.</small>');
  const long = await client.post('/create', { kind: 'batch', name: 'x'.repeat(101), sender: 'ACME', body: 'Hi STOP' });
  t.equal(long.statusCode, 422);
  t.match(long.body, 'A campaign name can have at most 100 characters.', "the limit a person meets is the service's");
  const apiHuge = await api('POST', '/api/v1/sms-campaigns', { name: 'x'.repeat(5000), sender: 'ACME', body: 'Hi STOP' });
  t.equal(apiHuge.statusCode, 400);
  t.equal(apiHuge.json().error.message, 'name: at most 1,000 characters.');
  const apiLong = await api('POST', '/api/v1/sms-campaigns', { name: 'x'.repeat(101), sender: 'ACME', body: 'Hi STOP' });
  t.equal(apiLong.statusCode, 422);
  t.same(apiLong.json().error.fields, { name: 'A campaign name can have at most 100 characters.' });
  const hugeText = await api('POST', '/api/v1/sms-campaigns', { name: 'Sale', sender: 'ACME', body: 'x'.repeat(10_001) });
  t.equal(hugeText.json().error.message, 'body: at most 10,000 characters.');
  t.equal(await em().count(Campaign, {}), 0);
});

t.test('a malformed campaign id in a URL is "not found", on the wizard pages and in the API', async (t) => {
  const { client, api, draft, em } = await setup(t);
  const campaign = await draft();
  for (const url of ['/create/abc/edit', '/create/abc/recipients', '/create/abc/preview', '/create/abc/delete', `/create/${campaign.id}x/edit`]) {
    const response = await client.get(url);
    t.equal(response.statusCode, 404, `${url}: 404`);
    t.match(response.body, 'There is no such campaign.', `${url}: the words of an unknown id`);
  }
  t.equal((await client.get('/create/%00/edit')).statusCode, 404, 'a NUL in the URL too');
  await client.get(`/create/${campaign.id}/edit`);
  const post = await client.postRaw('/create/abc/edit', 'name=a&name=b');
  t.equal(post.statusCode, 404, 'the URL is looked at before the body');
  t.equal((await client.postRaw('/create/abc/copy', '')).statusCode, 404);
  t.equal((await client.postRaw('/create/abc/delete', '')).statusCode, 404);

  for (const [method, url] of [['GET', '/api/v1/sms-campaigns/abc'], ['PATCH', '/api/v1/sms-campaigns/abc'], ['DELETE', '/api/v1/sms-campaigns/12345'], ['POST', '/api/v1/sms-campaigns/abc/schedule']] as const) {
    const response = await api(method, url, method === 'PATCH' || method === 'POST' ? { name: 'x' } : undefined);
    t.equal(response.statusCode, 404, `${method} ${url}: 404`);
    t.same(response.json(), { error: { code: 'not_found', message: 'There is no such campaign.' } });
  }
  const unknown = await api('GET', '/api/v1/sms-campaigns/00000000-0000-4000-8000-000000000000');
  t.same(unknown.json(), { error: { code: 'not_found', message: 'There is no such campaign.' } }, 'the same answer as an unknown id');
  t.equal(await em().count(Campaign, {}), 1);
});

t.test('a filter that is not one of the choices is refused, not silently ignored', async (t) => {
  const { client, api } = await setup(t);
  const page = await client.get('/create?status=sent');
  t.equal(page.statusCode, 400);
  t.match(page.body, 'status: must be one of &quot;&quot;, &quot;draft&quot;, &quot;scheduled&quot;.');
  const fragment = await client.get('/create?type=newsletter', { 'hx-request': 'true', 'hx-target': 'section#campaign-results' });
  t.equal(fragment.statusCode, 400);
  t.notMatch(fragment.body, '<!doctype html>', 'an htmx fragment');
  const twiceOnPage = await client.get('/create?status=draft&status=scheduled');
  t.equal(twiceOnPage.statusCode, 400);
  t.match(twiceOnPage.body, 'status: must be a single value, not 2 values.');
  t.equal((await client.get('/create?type=automation&status=')).statusCode, 200, 'the real choices work');

  const unknown = await api('GET', '/api/v1/sms-campaigns?status=nope');
  t.equal(unknown.statusCode, 400);
  t.same(unknown.json().error.fields, { status: 'Unknown status: use one of draft, scheduled, sending, sent, paused, cancelled.' });
  const twice = await api('GET', '/api/v1/sms-campaigns?status=draft&status=sent');
  t.same(twice.json().error.fields, { status: 'Must be a single value, not 2 values.' });
  t.equal((await api('GET', '/api/v1/sms-campaigns?status=draft')).statusCode, 200);
});

t.test('the live counter refuses a repeated text, and still counts a well-formed one', async (t) => {
  const { client } = await setup(t);
  await client.get('/create/new');
  const twice = await client.postRaw('/create/counter', 'body=a&body=b');
  t.equal(twice.statusCode, 400);
  t.match(twice.body, 'body: must be a single value, not 2 values.');
  const insert = await client.postRaw('/create/insert', 'body=Hi&placeholder=first_name&placeholder=last_name');
  t.equal(insert.statusCode, 400);
  const fine = await client.post('/create/counter', { body: 'Hello', kind: 'batch' }, { 'hx-request': 'true' });
  t.match(fine.body, /data-counter="characters">5</);
});
