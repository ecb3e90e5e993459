import t from 'tap';
import { buildTestApp, createTenant, createKey } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { ConsentEvent } from '../../src/modules/contacts/consent.entity.js';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const key = await createKey(orm, account);
  const em = withAccount(orm.em, account.id);
  em.create(CustomField, { account, key: 'tier', label: 'Tier', type: 'text' });
  await em.flush();
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { app, orm, account, call };
}

t.test('POST /api/v1/contacts upserts contacts and answers per-item results', async (t) => {
  const { orm, account, call } = await setup(t);
  const first = await call('POST', '/api/v1/contacts', {
    contacts: [
      { phone: '+33 6 12 34 56 01', first_name: 'Ann', email: 'ann@example.com', fields: { tier: 'gold' } },
      { phone: '+33612345602', sms_opt_in: false },
      { phone: 'nope' },
      { phone: '+33612345603', fields: { colour: 'red' } },
      { phone: '+33612345603', email: 'bad' },
      'not an object',
    ],
  });
  t.equal(first.statusCode, 200);
  const body = first.json();
  t.equal(body.created, 2);
  t.equal(body.updated, 0);
  t.same(body.errors.map((e: { index: number; code: string }) => [e.index, e.code]), [[2, 'invalid_phone'], [3, 'unknown_field'], [4, 'invalid_email'], [5, 'invalid_item']]);
  t.match(body.errors[0].message, '"nope" contains characters a phone number cannot have.');

  const second = await call('POST', '/api/v1/contacts', { contacts: [{ phone: '+33612345601', last_name: 'Smith' }, { phone: '+33612345602', sms_opt_in: true }] });
  t.match(second.json(), { created: 0, updated: 2, errors: [] });
  const em = withAccount(orm.em, account.id);
  const ann = await em.findOneOrFail(Contact, { phone: '+33612345601' });
  t.equal(ann.firstName, 'Ann', 'fields not sent are kept');
  t.equal(ann.lastName, 'Smith');
  t.same(ann.fields, { tier: 'gold' });
  t.equal((await em.findOneOrFail(Contact, { phone: '+33612345602' })).smsOptIn, true, 'the API may opt a contact back in');
  const events = await em.find(ConsentEvent, {}, { orderBy: { id: 'asc' } });
  t.same(events.map((e) => [e.optedIn, e.source]), [[false, 'api'], [true, 'api']]);
  t.match(events[0].actor, /^api-key:/);
});

t.test('the contacts API refuses malformed bodies and batches over 1,000 with a JSON error', async (t) => {
  const { orm, account, call } = await setup(t);
  const notArray = await call('POST', '/api/v1/contacts', { contacts: 'x' });
  t.equal(notArray.statusCode, 400);
  t.same(notArray.json(), { error: { code: 'bad_request', message: 'Send {"contacts": [...]}, an array of contacts.', fields: { contacts: 'Send {"contacts": [...]}, an array of contacts.' } } });
  const tooMany = await call('POST', '/api/v1/contacts', { contacts: Array.from({ length: 1001 }, (_, i) => ({ phone: `+336123${String(i).padStart(5, '0')}` })) });
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.json().error.message, 'At most 1000 contacts per call; this one has 1001.');
  t.equal(await withAccount(orm.em, account.id).count(Contact, {}), 0, 'nothing was saved');
});

t.test('GET /api/v1/contacts?phone= finds one contact; DELETE erases it', async (t) => {
  const { call } = await setup(t);
  await call('POST', '/api/v1/contacts', { contacts: [{ phone: '+33612345601', first_name: 'Ann' }] });
  const found = await call('GET', '/api/v1/contacts?phone=%2B33%206%2012%2034%2056%2001');
  t.equal(found.statusCode, 200);
  t.match(found.json(), { phone: '+33612345601', first_name: 'Ann', sms_opt_in: true, country: 'FR', lists: [] });
  const missing = await call('GET', '/api/v1/contacts?phone=%2B33612345699');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.message, 'No contact has the number +33612345699.');
  t.equal((await call('GET', '/api/v1/contacts')).statusCode, 400);
  t.equal((await call('GET', '/api/v1/contacts?phone=abc')).statusCode, 422);
  t.equal((await call('DELETE', `/api/v1/contacts/${found.json().id}`)).statusCode, 204);
  t.equal((await call('GET', '/api/v1/contacts?phone=%2B33612345601')).statusCode, 404);
  t.equal((await call('DELETE', '/api/v1/contacts/abc')).statusCode, 404);
});

t.test('contact lists through the API: create with phones, then add more', async (t) => {
  const { call } = await setup(t);
  await call('POST', '/api/v1/contacts', { contacts: [{ phone: '+33612345601' }, { phone: '+33612345602' }] });
  const created = await call('POST', '/api/v1/contact-lists', { name: 'From API', phones: ['+33612345601', '+33612345699', 'x'] });
  t.equal(created.statusCode, 201);
  t.match(created.json(), { name: 'From API', added: 1, not_found: ['+33612345699'], invalid: ['x'] });
  const id = created.json().id;
  const added = await call('POST', `/api/v1/contact-lists/${id}/contacts`, { phones: ['+33612345601', '+33612345602'] });
  t.same(added.json(), { added: 1, not_found: [], invalid: [] }, 'members already in the list are not added twice');
  const duplicate = await call('POST', '/api/v1/contact-lists', { name: 'From API' });
  t.equal(duplicate.statusCode, 422);
  t.same(duplicate.json().error.fields, { name: 'There is already a list named "From API".' });
});
