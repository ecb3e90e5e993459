import t from 'tap';
import { buildTestApp, createTenant, addUser, signedIn } from '../helper.js';
import { withAccount, ACROSS_ACCOUNTS } from '../../src/db/tenant.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ConsentEvent, Suppression } from '../../src/modules/contacts/consent.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { phoneHash } from '../../src/phone.js';

t.test('a marketer creates a contact from a number written the way people write them', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, await addUser(orm, owner.account, 'marketer'));
  await client.get('/contacts/new');
  const created = await client.post('/contacts', { phone: '0033 6 12 34 56 78', first_name: 'Amélie', last_name: 'Poulain', email: 'Amelie@Example.com', sms_opt_in: '' });
  t.equal(created.statusCode, 303);
  const contact = await withAccount(orm.em, account.id).findOneOrFail(Contact, { phone: '+33612345678' });
  t.equal(contact.country, 'FR');
  t.equal(contact.email, 'amelie@example.com');
  t.equal(contact.smsOptIn, null, 'opt-in not set counts as opted in');
  const page = await client.get(created.headers.location as string);
  t.match(page.body, 'Amélie Poulain');
  t.match(page.body, 'Opted in (not set, which counts as opted in)');
});

t.test('an invalid number, a duplicate number or a bad email re-renders the form with the reason', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/contacts/new');
  const invalid = await client.post('/contacts', { phone: '12345', email: 'not-an-email', first_name: 'x'.repeat(101) });
  t.equal(invalid.statusCode, 422);
  t.match(invalid.body, '&quot;12345&quot; has no international prefix (+ or 00) and the account has no default country.');
  t.match(invalid.body, 'is not an email address');
  t.match(invalid.body, 'The first name can have at most 100 characters.');
  await client.post('/contacts', { phone: '+33612345678' });
  const duplicate = await client.post('/contacts', { phone: '+33 6 12 34 56 78' });
  t.equal(duplicate.statusCode, 422);
  t.match(duplicate.body, 'A contact with the number +33612345678 already exists.');
  t.equal(await withAccount(orm.em, account.id).count(Contact, {}), 1);
});

t.test('a number without a prefix is read in the account default country', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/account');
  t.equal((await client.post('/settings/account', { name: account.name, timeZone: 'Europe/Paris', currency: 'EUR', defaultCountry: 'FR' })).statusCode, 200);
  t.equal((await orm.em.fork().findOneOrFail(Account, { id: account.id }, ACROSS_ACCOUNTS)).defaultCountry, 'FR');
  await client.get('/contacts/new');
  t.equal((await client.post('/contacts', { phone: '06 12 34 56 78' })).statusCode, 303);
  t.equal(await withAccount(orm.em, account.id).count(Contact, { phone: '+33612345678' }), 1);
});

t.test('the contacts table searches, filters, counts and pages by cursor', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const list = em.create(ContactList, { account, name: 'VIP' });
  for (let i = 0; i < 120; i++) {
    const contact = em.create(Contact, {
      account,
      phone: `+3361234${String(5000 + i)}`,
      country: i % 2 ? 'FR' : 'DE',
      firstName: i === 7 ? 'Zoé' : 'Max',
      lastName: `Number${i}`,
      email: `person${i}@example.com`,
      smsOptIn: i % 10 === 0 ? false : null,
    });
    if (i < 3) await em.flush().then(() => em.getConnection().execute('insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, account.id]));
  }
  await em.flush();
  const client = await signedIn(app, owner);
  const all = await client.get('/contacts');
  t.match(all.body, /<strong>120<\/strong> contacts/);
  t.equal((all.body.match(/name="ids"/g) ?? []).length, 50, 'fifty a page');
  const next = /after=(\d+)/.exec(all.body)![1];
  const second = await client.get(`/contacts?after=${next}`);
  t.equal((second.body.match(/name="ids"/g) ?? []).length, 50);
  t.notMatch(second.body, '>+33612345119<', 'the newest contact is only on page one');
  const third = await client.get(`/contacts?after=${/after=(\d+)/.exec(second.body)![1]}`);
  t.equal((third.body.match(/name="ids"/g) ?? []).length, 20);
  t.notMatch(third.body, 'Next page');

  t.match((await client.get('/contacts?q=zo')).body, /<strong>1<\/strong> contact match/);
  t.match((await client.get('/contacts?q=person11')).body, /<strong>11<\/strong> contacts match/, 'email prefix');
  t.match((await client.get('/contacts?q=%2B3361234511')).body, /<strong>10<\/strong> contacts match/, 'phone prefix');
  t.match((await client.get('/contacts?opt_in=out')).body, /<strong>12<\/strong> contacts match/);
  t.match((await client.get('/contacts?country=DE&opt_in=in')).body, /<strong>48<\/strong> contacts match/);
  t.match((await client.get(`/contacts?list=${list.id}`)).body, /<strong>3<\/strong> contacts match/);
  t.match((await client.get('/contacts?q=50%25')).body, /<strong>0<\/strong> contacts match/, 'LIKE wildcards are literal');
  const fragment = await client.get('/contacts?q=zo', { 'hx-request': 'true', 'hx-target': 'section#contact-results' });
  t.match(fragment.body, /^<section id="contact-results">/, 'typing in the filter swaps only the results');
});

t.test('opting a contact out and back in keeps the consent history', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const contact = em.create(Contact, { account, phone: '+33612345678', country: 'FR' });
  await em.flush();
  const client = await signedIn(app, owner);
  await client.get(`/contacts/${contact.id}`);
  await client.post(`/contacts/${contact.id}/opt-in`, { sms_opt_in: 'no' });
  const out = await withAccount(orm.em, account.id).findOneOrFail(Contact, { id: contact.id });
  t.equal(out.smsOptIn, false);
  t.equal(out.optOutSource, 'manual');
  await client.post(`/contacts/${contact.id}/opt-in`, { sms_opt_in: 'yes' });
  const events = await withAccount(orm.em, account.id).find(ConsentEvent, { contact: contact.id }, { orderBy: { id: 'asc' } });
  t.same(events.map((e) => [e.optedIn, e.source, e.actor]), [[false, 'manual', `user:${owner.email}`], [true, 'manual', `user:${owner.email}`]]);
  const page = await client.get(`/contacts/${contact.id}`);
  t.match(page.body, 'Consent history (2)');
});

t.test('deleting an opted-out contact erases it but keeps the number suppressed', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const contact = em.create(Contact, { account, phone: '+33612345678', country: 'FR', firstName: 'Gone', smsOptIn: false, optOutSource: 'stop_keyword' });
  await em.flush();
  const client = await signedIn(app, owner);
  const confirm = await client.get(`/contacts/${contact.id}/delete`);
  t.match(confirm.body, 'a one-way hash of it is kept');
  t.equal((await client.post(`/contacts/${contact.id}/delete`)).statusCode, 303);
  const fresh = withAccount(orm.em, account.id);
  t.equal(await fresh.count(Contact, {}), 0, 'the contact is gone');
  t.equal(await fresh.count(Suppression, { phoneHash: phoneHash(account.id, '+33612345678') }), 1, 'the number is suppressed');
  const history = await fresh.find(ConsentEvent, {});
  t.ok(history.every((e) => e.contact === null), 'history stays, detached');

  await client.get('/contacts/new');
  await client.post('/contacts', { phone: '+33612345678', sms_opt_in: 'yes' });
  const back = await withAccount(orm.em, account.id).findOneOrFail(Contact, { phone: '+33612345678' });
  t.equal(back.smsOptIn, false, 'a re-created suppressed number stays opted out');
  t.equal(back.optOutSource, 'suppressed');
});

t.test('contact lists: create, add by phone, see the size, remove, rename, delete', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  for (const phone of ['+33612345601', '+33612345602']) em.create(Contact, { account, phone, country: 'FR' });
  await em.flush();
  const client = await signedIn(app, owner);
  await client.get('/contacts/lists');
  const created = await client.post('/contacts/lists', { name: 'Winter sale' });
  t.equal(created.statusCode, 303);
  const listUrl = created.headers.location as string;
  await client.get(listUrl);
  const added = await client.post(`${listUrl}/add`, { phones: '+33 6 12 34 56 01\n+33612345602\n+33612345699\nhello' });
  t.match(added.body, '2 contacts added.');
  t.match(added.body, 'No contact has this number: +33612345699.');
  t.match(added.body, 'Not phone numbers: hello.');
  t.match((await client.get('/contacts/lists')).body, /Winter sale<\/a><\/td>\s*<td>2<\/td>/);
  const duplicate = await client.post('/contacts/lists', { name: 'Winter sale' });
  t.equal(duplicate.statusCode, 422);
  t.match(duplicate.body, 'There is already a list named &quot;Winter sale&quot;.');
  const page = await client.get(listUrl);
  const id = /name="ids" value="(\d+)"/.exec(page.body)![1];
  await client.post(`${listUrl}/remove`, { ids: id });
  t.match((await client.get(listUrl)).body, '1 contact<');
  await client.post(`${listUrl}/rename`, { name: 'Spring sale' });
  t.match((await client.get(listUrl)).body, 'Spring sale');
  await client.post(`${listUrl}/delete`);
  t.equal(await withAccount(orm.em, account.id).count(ContactList, {}), 0);
  t.equal(await withAccount(orm.em, account.id).count(Contact, {}), 2, 'contacts stay when their list goes');
});

t.test('selected contacts are added to a list from the table', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const a = em.create(Contact, { account, phone: '+33612345601' });
  const b = em.create(Contact, { account, phone: '+33612345602' });
  const list = em.create(ContactList, { account, name: 'Picked' });
  await em.flush();
  const client = await signedIn(app, owner);
  await client.get('/contacts');
  const body = new URLSearchParams([['_csrf', client.csrf], ['ids', String(a.id)], ['ids', String(b.id)], ['list', list.id]]);
  const response = await app.inject({ method: 'POST', url: '/contacts/bulk', payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader } });
  t.equal(response.statusCode, 303);
  t.match(decodeURIComponent(response.headers.location as string), '2 contact(s) added to Picked.');
});

t.test('custom fields: an owner adds typed fields, contacts carry validated values, deleting a field removes its values', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/contacts/fields');
  t.equal((await client.post('/contacts/fields', { label: 'Loyalty points', type: 'number' })).statusCode, 303);
  t.equal((await client.post('/contacts/fields', { label: 'Birthday', type: 'date' })).statusCode, 303);
  const clash = await client.post('/contacts/fields', { label: 'Phone', key: 'phone', type: 'text' });
  t.equal(clash.statusCode, 422);
  t.match(clash.body, '&quot;phone&quot; is a built-in field.');
  await client.get('/contacts/new');
  const bad = await client.post('/contacts', { phone: '+33612345678', field_loyalty_points: 'many', field_birthday: '2024-02-30' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, 'Loyalty points &quot;many&quot; is not a number.');
  t.match(bad.body, 'Birthday &quot;2024-02-30&quot; is not a real date.');
  t.equal((await client.post('/contacts', { phone: '+33612345678', field_loyalty_points: '1 200,5', field_birthday: '14/07/1990' })).statusCode, 303);
  const contact = await withAccount(orm.em, account.id).findOneOrFail(Contact, { phone: '+33612345678' });
  t.same(contact.fields, { loyalty_points: 1200.5, birthday: '1990-07-14' });
  const fieldsPage = await client.get('/contacts/fields');
  const id = /action="\/contacts\/fields\/([0-9a-f-]{36})\/delete"/.exec(fieldsPage.body)![1];
  await client.post(`/contacts/fields/${id}/delete`);
  const after = await withAccount(orm.em, account.id).findOneOrFail(Contact, { phone: '+33612345678' });
  t.equal(Object.keys(after.fields).length, 1, 'one field and its values are gone');
  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  t.equal((await marketer.post('/contacts/fields', { label: 'X', type: 'text' })).statusCode, 403, 'only owners define fields');
});

t.test('a viewer sees contacts and lists but changes nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const contact = em.create(Contact, { account, phone: '+33612345678' });
  await em.flush();
  const client = await signedIn(app, await addUser(orm, owner.account, 'viewer'));
  for (const url of ['/contacts', `/contacts/${contact.id}`, '/contacts/lists', '/contacts/fields']) t.equal((await client.get(url)).statusCode, 200, url);
  t.notMatch((await client.get(`/contacts/${contact.id}`)).body, 'Opt out of SMS');
  t.equal((await client.post(`/contacts/${contact.id}/opt-in`, { sms_opt_in: 'no' })).statusCode, 403);
  t.equal((await client.post(`/contacts/${contact.id}/delete`)).statusCode, 403);
  t.equal((await client.post('/contacts', { phone: '+33612345679' })).statusCode, 403);
  t.equal(await withAccount(orm.em, account.id).count(Contact, {}), 1);
});
