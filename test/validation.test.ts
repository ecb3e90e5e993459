// Bad input at the edge (plugins/validation.ts): a repeated field, a list or an object where text
// belongs, a NUL byte, an unpaired surrogate, an over-long value or a number out of range is
// refused before the handler runs: a form comes back with 422 and the field marked, the API
// answers 400 with `fields`, a malformed id in a URL is 404 as an unknown one is. Never a 500,
// and nothing is saved.
import t from 'tap';
import { buildTestApp, createTenant, createKey, signedIn, Client } from './helper.js';
import { withAccount } from '../src/db/tenant.js';
import { Contact } from '../src/modules/contacts/contact.entity.js';
import { ContactList } from '../src/modules/contacts/contact-list.entity.js';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const key = await createKey(orm, account);
  const client = await signedIn(app, owner);
  const em = () => withAccount(orm.em.fork(), account.id);
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  return { app, orm, account, owner, client, em, api };
}

t.test('a field sent twice in the new-contact form comes back as the form, with the field marked and nothing saved', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/contacts/new');
  const response = await client.postRaw('/contacts', 'phone=%2B33612345678&phone=%2B33612345679&first_name=Ann');
  t.equal(response.statusCode, 422);
  t.match(response.headers['content-type'], 'text/html');
  t.match(response.body, '<h1>New contact</h1>', 'the form again');
  t.match(response.body, 'Please correct the highlighted fields.');
  t.match(response.body, /<input name="phone" required value="" aria-invalid="true"/, 'the phone field is marked');
  t.match(response.body, '<small class="field-error" id="phone-error">Must be a single value, not 2 values.</small>');
  t.match(response.body, /name="first_name" maxlength="100" value="Ann"/, 'what was typed elsewhere is kept');
  t.equal(await em().count(Contact, {}), 0, 'nothing saved');
});

t.test('a custom field sent twice is marked on that field', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/contacts/fields');
  t.equal((await client.post('/contacts/fields', { label: 'Tier', type: 'text' })).statusCode, 303);
  await client.get('/contacts/new');
  const response = await client.postRaw('/contacts', 'phone=%2B33612345678&field_tier=gold&field_tier=silver');
  t.equal(response.statusCode, 422);
  t.match(response.body, '<small class="field-error" id="field_tier-error">Must be a single value, not 2 values.</small>');
  t.equal(await em().count(Contact, {}), 0);
});

t.test('editing a contact with a repeated field shows the edit form again and changes nothing', async (t) => {
  const { client, em, account } = await setup(t);
  const fork = em();
  const contact = fork.create(Contact, { account, phone: '+33612345678', firstName: 'Ann' });
  await fork.flush();
  await client.get(`/contacts/${contact.id}/edit`);
  const response = await client.postRaw(`/contacts/${contact.id}`, 'phone=%2B33612345678&last_name=A&last_name=B');
  t.equal(response.statusCode, 422);
  t.match(response.body, '<h1>Edit contact</h1>');
  t.match(response.body, '<small class="field-error" id="last_name-error">Must be a single value, not 2 values.</small>');
  t.equal((await em().findOneOrFail(Contact, { id: contact.id })).lastName, null, 'unchanged');
});

t.test('a list name sent as a list, an object or with a NUL byte in the API is a 400 naming the field', async (t) => {
  const { api, em } = await setup(t);
  const asList = await api('POST', '/api/v1/contact-lists', { name: ['a', 'b'] });
  t.equal(asList.statusCode, 400);
  t.same(asList.json(), { error: { code: 'bad_request', message: 'name: must be a single value, not 2 values.', fields: { name: 'Must be a single value, not 2 values.' } } });
  const asObject = await api('POST', '/api/v1/contact-lists', { name: { first: 'x' } });
  t.equal(asObject.statusCode, 400);
  t.same(asObject.json().error, { code: 'bad_request', message: 'name: must be text, not an object.', fields: { name: 'Must be text, not an object.' } });
  const oneItem = await api('POST', '/api/v1/contact-lists', { name: ['x'] });
  t.equal(oneItem.json().error.message, 'name: must be text, not a list.', 'a JSON ["x"] is not taken for "x"');
  const number = await api('POST', '/api/v1/contact-lists', { name: 'Numbers', phones: ['+33612345678', 33612345679] });
  t.equal(number.statusCode, 400);
  t.same(number.json().error.fields, { 'phones.1': '"phones" must be an array of strings.' });
  const nul = await api('POST', '/api/v1/contact-lists', { name: 'Winter\u0000sale' });
  t.equal(nul.statusCode, 400);
  t.same(nul.json().error, { code: 'bad_request', message: 'name: contains a NUL character.', fields: { name: 'Contains a NUL character.' } });
  t.equal(await em().count(ContactList, {}), 0, 'no list was created');
});

t.test('an unpaired surrogate is refused wherever it hides: API body, a form posted as JSON, a query string', async (t) => {
  const { api, client, em } = await setup(t);
  // Raw JSON text: JSON.stringify would escape the lone surrogate the same way, but this is what a client sends.
  const raw = await api('POST', '/api/v1/contact-lists', '{"name": "Sale \\ud800"}');
  t.equal(raw.statusCode, 400);
  t.same(raw.json().error.fields, { name: 'Contains an invalid character (an unpaired surrogate).' });
  // In a batch of contacts, the bad item alone is refused: the others are saved.
  const nested = await api('POST', '/api/v1/contacts', '{"contacts": [{"phone": "+33612345678"}, {"phone": "+33612345679", "fields": {"tier": "\\udc00x"}}, {"phone": "+33612345670", "first_name": "Nul\\u0000"}]}');
  t.equal(nested.statusCode, 200);
  t.same(nested.json(), {
    created: 1,
    updated: 0,
    errors: [
      { index: 1, code: 'invalid_item', message: '"fields.tier" contains an invalid character (an unpaired surrogate).' },
      { index: 2, code: 'invalid_item', message: '"first_name" contains a NUL character.' },
    ],
  }, 'the answer names each refused item and its field');
  t.equal(await em().count(Contact, {}), 1, 'the good item is saved');
  const around = await api('POST', '/api/v1/contacts', '{"contacts": [], "note\\u0000": 1}');
  t.equal(around.statusCode, 400, 'text around the batch is still refused at the edge');

  await client.get('/contacts/new');
  const form = await client.postJson('/contacts', '{"phone": "+33612345678", "first_name": "Ann\\ud83d"}');
  t.equal(form.statusCode, 422, 'a form route answers with its form');
  t.match(form.body, '<small class="field-error" id="first_name-error">Contains an invalid character (an unpaired surrogate).</small>');
  t.equal(await em().count(Contact, {}), 1, 'the form saved nothing');

  const search = await client.get('/contacts?q=%00');
  t.equal(search.statusCode, 400, 'a page without a form answers with the error page');
  t.match(search.body, 'q: contains a NUL character.');
});

t.test('a NUL byte in a form field comes back as the form with the field marked', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/contacts/lists');
  const response = await client.postRaw('/contacts/lists', 'name=Winter%00sale');
  t.equal(response.statusCode, 422);
  t.match(response.body, 'Contains a NUL character.');
  t.match(response.body, /name="name"[^>]*aria-invalid="true"/);
  t.equal(await em().count(ContactList, {}), 0);
});

t.test('an over-long value is refused at the edge; the service still explains its own limit', async (t) => {
  const { client, api, em } = await setup(t);
  await client.get('/contacts/lists');
  const huge = await client.post('/contacts/lists', { name: 'x'.repeat(5000) });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, 'At most 1,000 characters.');
  const long = await client.post('/contacts/lists', { name: 'x'.repeat(101) });
  t.equal(long.statusCode, 422);
  t.match(long.body, 'A list name can have at most 100 characters.', "the limit a person meets is the service's");
  const apiHuge = await api('POST', '/api/v1/contact-lists', { name: 'x'.repeat(5000) });
  t.equal(apiHuge.statusCode, 400);
  t.equal(apiHuge.json().error.message, 'name: at most 1,000 characters.');
  const apiLong = await api('POST', '/api/v1/contact-lists', { name: 'x'.repeat(101) });
  t.equal(apiLong.statusCode, 422);
  t.same(apiLong.json().error.fields, { name: 'A list name can have at most 100 characters.' });
  t.equal(await em().count(ContactList, {}), 0);
});

t.test('a number out of range or not a number is refused before any query runs', async (t) => {
  const { client, api } = await setup(t);
  const cursor = await client.get('/contacts?after=1234567890123456');
  t.equal(cursor.statusCode, 400);
  t.match(cursor.body, 'after: must be a whole number of at most 15 digits.');
  t.equal((await client.get('/contacts?after=-1')).statusCode, 400);
  t.equal((await client.get('/contacts?after=12')).statusCode, 200, 'a real cursor works');

  await client.get('/contacts');
  const ids = await client.postRaw('/contacts/bulk', 'ids=1&ids=99999999999999999999&list=x');
  t.equal(ids.statusCode, 400);
  t.match(ids.body, 'ids: must be one or more contact ids (at most 1000).');

  const tooMany = await api('POST', '/api/v1/contact-lists', { name: 'Big', phones: Array.from({ length: 1001 }, () => '+33612345678') });
  t.equal(tooMany.statusCode, 400);
  t.same(tooMany.json().error, { code: 'bad_request', message: 'At most 1000 phones per call.', fields: { phones: 'At most 1000 phones per call.' } });
});

t.test('a filter value that is not one of the choices is an error fragment for htmx, not a 500', async (t) => {
  const { client } = await setup(t);
  const response = await client.get('/contacts?opt_in=maybe', { 'hx-request': 'true', 'hx-target': 'section#contact-results' });
  t.equal(response.statusCode, 400);
  t.notMatch(response.body, '<!doctype html>');
  t.match(response.body, 'opt_in: must be one of &quot;&quot;, &quot;in&quot;, &quot;out&quot;.');
});

t.test('a malformed id in a URL is "not found", on pages and in the API', async (t) => {
  const { client, api, account, em } = await setup(t);
  const fork = em();
  const contact = fork.create(Contact, { account, phone: '+33612345678' });
  await fork.flush();
  for (const url of ['/contacts/abc', '/contacts/0', '/contacts/1234567890123456', '/contacts/12abc/edit', '/contacts/lists/not-a-uuid', '/contacts/segments/123', '/contacts/imports/x/progress', '/contacts/%00']) {
    const response = await client.get(url);
    t.equal(response.statusCode, 404, `${url}: 404`);
  }
  t.match((await client.get('/contacts/abc')).body, 'There is no such contact.', 'the same words as an unknown id');
  await client.get(`/contacts/${contact.id}`);
  const post = await client.postRaw('/contacts/abc', 'phone=1&phone=2');
  t.equal(post.statusCode, 404, 'the URL is looked at before the body');
  const removeFromList = await client.post(`/contacts/${contact.id}/lists/not-a-uuid/remove`);
  t.equal(removeFromList.statusCode, 404);
  t.match(removeFromList.body, 'There is no such contact list.');

  const deleted = await api('DELETE', '/api/v1/contacts/abc');
  t.equal(deleted.statusCode, 404);
  t.same(deleted.json(), { error: { code: 'not_found', message: 'There is no such contact.' } });
  const listCall = await api('POST', '/api/v1/contact-lists/123/contacts', { phones: [] });
  t.equal(listCall.statusCode, 404);
  t.equal(listCall.json().error.message, 'There is no such contact list.');
  t.equal(await em().count(Contact, {}), 1);
});

t.test('a contact of an upsert with a list where text belongs is refused in the answer, the others saved', async (t) => {
  const { api, em } = await setup(t);
  const response = await api('POST', '/api/v1/contacts', {
    contacts: [{ phone: ['+33612345678'] }, { phone: '+33612345679', first_name: { x: 1 } }, { phone: '+33612345670', fields: { tier: ['gold'] } }, { phone: '+33612345671' }],
  });
  t.equal(response.statusCode, 200);
  t.same(response.json(), {
    created: 1,
    updated: 0,
    errors: [
      { index: 0, code: 'invalid_item', message: '"phone" must be a single value, not a list.' },
      { index: 1, code: 'invalid_item', message: '"first_name" must be a single value, not an object.' },
      { index: 2, code: 'invalid_field', message: 'The value of the custom field "tier" must be a single value, not a list.' },
    ],
  });
  t.equal(await em().count(Contact, {}), 1);
});

t.test('the upsert and the lookup say what is missing in their own words', async (t) => {
  const { api } = await setup(t);
  const noBody = await api('POST', '/api/v1/contacts');
  t.equal(noBody.statusCode, 400);
  t.equal(noBody.json().error.message, 'Send {"contacts": [...]}, an array of contacts.');
  const anArray = await api('POST', '/api/v1/contacts', [{ phone: '+33612345678' }]);
  t.equal(anArray.statusCode, 400);
  t.equal(anArray.json().error.message, 'Send {"contacts": [...]}, an array of contacts.');
  const twice = await api('GET', '/api/v1/contacts?phone=%2B33612345678&phone=%2B33612345679');
  t.equal(twice.statusCode, 400);
  t.same(twice.json().error.fields, { phone: 'Must be a single value, not 2 values.' });
  const empty = await api('GET', '/api/v1/contacts?phone=');
  t.equal(empty.json().error.message, 'Give the number to look up: /api/v1/contacts?phone=%2B33612345678');
});

t.test('a deeply nested JSON body is walked without a crash', async (t) => {
  const { api } = await setup(t);
  const depth = 50_000;
  const response = await api('POST', '/api/v1/contact-lists', `{"name": ${'['.repeat(depth)}"x\\u0000"${']'.repeat(depth)}}`);
  t.equal(response.statusCode, 400);
  t.match(response.json().error.message, /^name(\.0)+: contains a NUL character\.$/);
  const item = await api('POST', '/api/v1/contacts', `{"contacts": [${'['.repeat(depth)}"x\\u0000"${']'.repeat(depth)}]}`);
  t.equal(item.statusCode, 200, 'deep inside a batch item, the item alone is refused');
  t.equal(item.json().errors[0].code, 'invalid_item');
});

t.test('a NUL byte in a field of the CSV upload shows the upload form again and imports nothing', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/contacts/imports');
  const boundary = '----textcast-validation';
  const payload = [
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${client.csrf}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nx\u0000y\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="contacts.csv"\r\nContent-Type: text/csv\r\n\r\nphone\n+33612345678\n\r\n`,
    `--${boundary}--\r\n`,
  ].join('');
  const response = await client.app.inject({ method: 'POST', url: '/contacts/imports', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: client.cookieHeader } });
  t.equal(response.statusCode, 422);
  t.match(response.body, 'note: contains a NUL character.');
  t.match(response.body, 'role="alert"', 'as an alert on the upload form');
  t.equal(await em().count(Contact, {}), 0);
});

t.test('a repeated field in the sign-in form shows the sign-in form again, signed out', async (t) => {
  const { app, owner } = await setup(t);
  const visitor = new Client(app);
  await visitor.get('/login');
  const response = await visitor.postRaw('/login', `email=${encodeURIComponent(owner.email)}&password=a&password=b`);
  t.equal(response.statusCode, 422);
  t.match(response.body, 'Sign in to Textcast');
  t.match(response.body, 'password: must be a single value, not 2 values.');
  t.match(response.body, `value="${owner.email}"`, 'the email is kept');
  t.notOk(response.cookies.some((c: { name: string }) => c.name === 'tc_session'), 'no session was started');
  const empty = await visitor.postRaw('/login', `email=${encodeURIComponent(owner.email)}&password=`);
  t.equal(empty.statusCode, 422, "the service's own refusal goes through the same helper");
  t.match(empty.body, 'Enter your email and password.');
});
