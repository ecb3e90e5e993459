// API v2 external events, shaped like the reference product's: create and list events, trigger one
// for a contact or a batch of up to 1,000 named by phone, email, id or a custom field, with
// per-contact errors for the ones that name nobody; refusals carry replyCode/replyText and the
// right status (401 wrong key, 404 another account's event, 400 malformed, 429 rate limited).
import t from 'tap';
import { buildTestApp, createKey, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { query } from '../sending/helpers.js';
import { addContacts, addEvent, apiCall, phoneOf, triggersOf } from './event-helpers.js';

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const { app, orm } = await buildTestApp(t, env);
  const { account } = await createTenant(orm);
  const key = await createKey(orm, account);
  const em = withAccount(orm.em.fork(), account.id);
  em.create(CustomField, { account: account.id, key: 'customer_no', label: 'Customer number', type: 'text' });
  await em.flush();
  const event = await addEvent(orm, account, 'order_shipped');
  return { app, orm, account, key, event, call: apiCall(app, key) };
}

t.test('one contact triggered by phone: its id in "ids", the trigger stored with its data and not yet processed', async (t) => {
  const { orm, account, event, call } = await setup(t);
  const [first] = await addContacts(orm, account, 3);
  const response = await call('POST', `/api/v2/event/${event.id}/trigger`, { key_id: 'phone', external_id: '+33 6 10 00 00 01', data: { order: 'A-1', total: 12.5, items: ['mug'] } });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { replyCode: 0, replyText: 'OK', data: { ids: [Number(first)], errors: {} } });
  t.same(await triggersOf(orm, event.id), [{ contact_id: first, data: { order: 'A-1', total: 12.5, items: ['mug'] }, processed_at: null }], 'recorded for the program engine to pick up');
});

t.test('a batch of 1,000 contacts is triggered in request order', async (t) => {
  const { orm, account, event, call } = await setup(t);
  const ids = await addContacts(orm, account, 1000);
  const order = Array.from({ length: 1000 }, (_, i) => 1000 - i); // the last contact first
  const response = await call('POST', `/api/v2/event/${event.id}/trigger`, { key_id: 'phone', contacts: order.map((n) => ({ external_id: phoneOf(n), data: { n } })) });
  t.equal(response.statusCode, 200);
  const body = response.json();
  t.equal(body.replyCode, 0);
  t.same(body.data.errors, {});
  t.same(body.data.ids, order.map((n) => Number(ids[n - 1])), 'the contact ids, in the order of the call');
  const stored = await triggersOf(orm, event.id);
  t.equal(stored.length, 1000);
  t.same(stored.slice(0, 2), [
    { contact_id: ids[999], data: { n: 1000 }, processed_at: null },
    { contact_id: ids[998], data: { n: 999 }, processed_at: null },
  ]);
});

t.test('external ids that name no contact get a 2008 error each; the others are triggered', async (t) => {
  const { orm, account, event, call } = await setup(t);
  const [first, second] = await addContacts(orm, account, 2);
  const response = await call('POST', `/api/v2/event/${event.id}/trigger`, {
    key_id: 'phone',
    contacts: [{ external_id: phoneOf(1) }, { external_id: '+33699999998' }, { external_id: phoneOf(2), data: { x: 1 } }, { external_id: '+33699999999' }, { external_id: 'not a phone' }],
  });
  t.equal(response.statusCode, 200);
  t.same(response.json().data, {
    ids: [Number(first), Number(second)],
    errors: {
      '+33699999998': { 2008: 'No contact found with the external id' },
      '+33699999999': { 2008: 'No contact found with the external id' },
      'not a phone': { 2005: '"not a phone" contains characters a phone number cannot have.' },
    },
  });
  t.same((await triggersOf(orm, event.id)).map((row) => row.contact_id), [first, second], 'only the contacts found were triggered');
});

t.test('contacts are named by email (not case-sensitive), id or a custom field; an email two contacts share is refused', async (t) => {
  const { orm, account, event, call } = await setup(t);
  const [first, second, third] = await addContacts(orm, account, 4);
  await query(orm, `update contact set email = 'shared@example.com' where id in (?, ?)`, [third, Number(third) + 1]);
  const trigger = (body: object) => call('POST', `/api/v2/event/${event.id}/trigger`, body);

  const byEmail = await trigger({ key_id: 'email', contacts: [{ external_id: ' Contact1@Example.COM ' }, { external_id: 'shared@example.com' }] });
  t.same(byEmail.json().data, { ids: [Number(first)], errors: { 'shared@example.com': { 2010: '2 contacts have this external id; use a key that names one.' } } });

  const byId = await trigger({ key_id: 'id', contacts: [{ external_id: Number(second) }, { external_id: String(third) }, { external_id: 'x1' }] });
  t.same(byId.json().data, { ids: [Number(second), Number(third)], errors: { x1: { 2005: '"x1" is not a contact id.' } } });

  const byField = await trigger({ key_id: 'customer_no', external_id: 'C2', data: { via: 'field' } });
  t.same(byField.json().data, { ids: [Number(second)], errors: {} });
  t.equal((await triggersOf(orm, event.id)).length, 4);
});

t.test('events are created by name and listed; an inbound event can be triggered through the API too', async (t) => {
  const { orm, account, event, call } = await setup(t);
  const created = await call('POST', '/api/v2/event', { name: 'cart_abandoned' });
  t.equal(created.statusCode, 200);
  const { id } = created.json().data;
  t.same(created.json(), { replyCode: 0, replyText: 'OK', data: { id, name: 'cart_abandoned' } });

  const duplicate = await call('POST', '/api/v2/event', { name: 'cart_abandoned' });
  t.equal(duplicate.statusCode, 422);
  t.match(duplicate.json(), { replyCode: 1001, replyText: 'There is already an event named "cart_abandoned".', error: { code: 'validation', fields: { name: 'There is already an event named "cart_abandoned".' } } });

  const inbound = await addEvent(orm, account, 'SMS +33644000000 Autoresponder: Confirm', 'inbound');
  const listed = await call('GET', '/api/v2/event');
  t.equal(listed.statusCode, 200);
  t.same(listed.json().data.map((e: { id: string; name: string; source: string }) => [e.id, e.name, e.source]), [
    [inbound.id, 'SMS +33644000000 Autoresponder: Confirm', 'inbound'],
    [id, 'cart_abandoned', 'api'],
    [event.id, 'order_shipped', 'api'],
  ]);

  const [contact] = await addContacts(orm, account, 1);
  const triggered = await call('POST', `/api/v2/event/${inbound.id}/trigger`, { key_id: 'phone', external_id: phoneOf(1) });
  t.same(triggered.json().data, { ids: [Number(contact)], errors: {} });
});

t.test('a wrong or missing key is 401 with reply code 1', async (t) => {
  const { app, event } = await setup(t);
  const wrong = await apiCall(app, 'not-a-key')('POST', `/api/v2/event/${event.id}/trigger`, { key_id: 'phone', external_id: phoneOf(1) });
  t.equal(wrong.statusCode, 401);
  t.match(wrong.json(), { replyCode: 1, replyText: 'This API key is unknown or revoked.', error: { code: 'unauthenticated' } });
  const none = await app.inject({ method: 'GET', url: '/api/v2/event' });
  t.equal(none.statusCode, 401);
  t.equal(none.json().replyCode, 1);
});

t.test("another account's event, an unknown one and a malformed id are 404", async (t) => {
  const { orm, call } = await setup(t);
  const other = await createTenant(orm, 'Other account');
  const theirs = await addEvent(orm, other.account, 'their_event');
  const [contact] = await addContacts(orm, other.account, 1);
  for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
    const response = await call('POST', `/api/v2/event/${id}/trigger`, { key_id: 'id', external_id: contact });
    t.equal(response.statusCode, 404, `${id}: 404`);
    t.match(response.json(), { replyCode: 404, replyText: 'There is no such event.', error: { code: 'not_found' } });
  }
  t.same(await triggersOf(orm, theirs.id), [], 'nothing was triggered in the other account');
});

t.test('malformed calls are 400 with the reference reply codes', async (t) => {
  const { orm, event, call } = await setup(t);
  const url = `/api/v2/event/${event.id}/trigger`;
  const cases: [string, unknown, number, RegExp][] = [
    ['malformed JSON', '{"key_id": "phone", "external_id": ', 1010, /JSON/],
    ['1,001 contacts', { key_id: 'phone', contacts: Array.from({ length: 1001 }, (_, i) => ({ external_id: phoneOf(i + 1) })) }, 2002, /^At most 1,000 contacts per call; this one has 1,001\.$/],
    ['an unknown key field', { key_id: 'shoe_size', external_id: '42' }, 2004, /^"shoe_size" is not a key field/],
    ['both external_id and contacts', { key_id: 'phone', external_id: phoneOf(1), contacts: [] }, 1001, /either "external_id".*or "contacts"/],
    ['neither external_id nor contacts', { key_id: 'phone' }, 1001, /either "external_id"/],
    ['no key_id', { external_id: phoneOf(1) }, 1001, /key_id/],
    ['data that is not an object', { key_id: 'phone', external_id: phoneOf(1), data: 'x' }, 1001, /data: must be an object/],
    ['a contact without external_id', { key_id: 'phone', contacts: [{ data: {} }] }, 1001, /contacts\.0\.external_id/],
  ];
  for (const [name, body, replyCode, message] of cases) {
    const response = await call('POST', url, body);
    t.equal(response.statusCode, 400, `${name}: 400`);
    t.equal(response.json().replyCode, replyCode, `${name}: reply code ${replyCode}`);
    t.match(response.json().replyText, message, `${name}: says why`);
    t.equal(response.json().error.code, 'bad_request');
  }
  t.same(await triggersOf(orm, event.id), [], 'nothing was triggered');
});

t.test('each API key has its own budget of requests a minute; beyond it, 429 with Retry-After', async (t) => {
  const { app, orm, account, call } = await setup(t, { API_RATE_LIMIT: '3' });
  for (let i = 0; i < 3; i++) t.equal((await call('GET', '/api/v2/event')).statusCode, 200, `request ${i + 1} is answered`);
  const limited = await call('GET', '/api/v2/event');
  t.equal(limited.statusCode, 429);
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when to come back');
  t.match(limited.json(), { replyCode: 429, replyText: /^Too many requests with this API key: at most 3 a minute\. Try again in \d+ seconds\.$/, error: { code: 'rate_limited' } });
  const v1 = await call('GET', '/api/v1/account');
  t.equal(v1.statusCode, 429, 'the budget covers API v1 too');
  t.equal(v1.json().error.code, 'rate_limited');
  t.notOk('replyCode' in v1.json(), 'API v1 keeps its own error shape');
  const otherKey = await createKey(orm, account);
  t.equal((await apiCall(app, otherKey)('GET', '/api/v2/event')).statusCode, 200, 'another key of the same account is not held back');
});
