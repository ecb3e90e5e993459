// Bad input on the Settings pages (users, API keys, the account, credits, prices): a repeated
// field, a list or an object where text belongs, a NUL byte, an unpaired surrogate, an over-long
// value or a number out of range is the form again (422) with the field marked and nothing saved;
// a typed password is never sent back; a malformed id in a URL is "not found"; a malformed page
// cursor or reporting search is the error page. Never a 500. (The gateway form's cases are in
// test/gateways/bad-input.test.ts.)
import t from 'tap';
import { buildTestApp, createTenant, signedIn, addUser, fieldError } from '../helper.js';
import { withAccount, ACROSS_ACCOUNTS } from '../../src/db/tenant.js';
import { User } from '../../src/modules/accounts/user.entity.js';
import { ApiKey } from '../../src/modules/accounts/api-key.entity.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { Price } from '../../src/modules/accounts/price.entity.js';
import { getCountries } from 'libphonenumber-js/max';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const em = () => withAccount(orm.em.fork(), account.id);
  return { app, orm, account, owner, client, em };
}

const SINGLE = 'Must be a single value, not 2 values.';

// --- Users ------------------------------------------------------------------------------------

t.test('adding a user with the email typed twice shows the users page again with the email marked, adds nobody and never shows the password', async (t) => {
  const { client, orm } = await setup(t);
  const before = await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS);
  await client.get('/settings/users');
  const response = await client.postRaw('/settings/users', 'email=ann%40example.com&email=bob%40example.com&password=hunter2-hunter2-secret&role=viewer');
  t.equal(response.statusCode, 422);
  t.match(response.body, '<h1>Users</h1>', 'the users page again');
  t.match(response.body, fieldError('email', SINGLE));
  t.match(response.body, /name="email" required value="" aria-invalid="true"/, 'the email field is marked');
  t.match(response.body, /<option selected>viewer<\/option>/, 'the chosen role is kept');
  t.notMatch(response.body, 'hunter2-hunter2-secret', 'the password typed is not sent back');
  t.equal(await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS), before, 'nobody was added');
});

t.test('a role or password sent as a list or an object is refused on its field, and an over-long password is never echoed', async (t) => {
  const { client, orm } = await setup(t);
  const before = await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS);
  await client.get('/settings/users');
  const role = await client.postJson('/settings/users', { email: 'ann@example.com', password: 'long enough password', role: ['owner'] });
  t.equal(role.statusCode, 422);
  t.match(role.body, fieldError('role', 'Must be text, not a list.'), 'a JSON ["owner"] is not taken for "owner"');
  const password = await client.postJson('/settings/users', { email: 'ann@example.com', password: { value: 'long enough password' }, role: 'viewer' });
  t.equal(password.statusCode, 422);
  t.match(password.body, fieldError('password', 'Must be text, not an object.'));
  const huge = 'p'.repeat(5000);
  const long = await client.post('/settings/users', { email: 'ann@example.com', password: huge, role: 'viewer' });
  t.equal(long.statusCode, 422);
  t.match(long.body, fieldError('password', 'At most 4,096 characters.'));
  t.notMatch(long.body, huge, 'the password is not sent back');
  t.match(long.body, 'value="ann@example.com"', 'the email is kept');
  t.equal(await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS), before);
});

t.test('a NUL byte or an unpaired surrogate in the email is marked on the field', async (t) => {
  const { client, orm } = await setup(t);
  const before = await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS);
  await client.get('/settings/users');
  const nul = await client.postRaw('/settings/users', 'email=ann%00%40example.com&password=long+enough+password&role=viewer');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, fieldError('email', 'Contains a NUL character.'));
  const surrogate = await client.postJson('/settings/users', '{"email": "ann\\ud800@example.com", "password": "long enough password", "role": "viewer"}');
  t.equal(surrogate.statusCode, 422);
  t.match(surrogate.body, fieldError('email', 'Contains an invalid character (an unpaired surrogate).'));
  t.equal(await orm.em.fork().count(User, {}, ACROSS_ACCOUNTS), before);
});

t.test("changing a user's role with the role sent twice shows their page with the reason and changes nothing", async (t) => {
  const { client, orm, account } = await setup(t);
  const ann = await addUser(orm, account, 'marketer');
  await client.get(`/settings/users/${ann.id}`);
  const response = await client.postRaw(`/settings/users/${ann.id}/role`, 'role=viewer&role=owner');
  t.equal(response.statusCode, 422);
  t.match(response.body, `<h1>${ann.email}</h1>`, "the user's page again");
  t.match(response.body, `<p class="notice error" role="alert">${SINGLE}</p>`);
  t.equal((await orm.em.fork().findOneOrFail(User, { id: ann.id }, ACROSS_ACCOUNTS)).role, 'marketer', 'unchanged');
  const tokenTwice = await client.postRaw(`/settings/users/${ann.id}/disable`, `_csrf=${encodeURIComponent(client.csrf)}`);
  t.equal(tokenTwice.statusCode, 422, 'even the buttons refuse a repeated field');
  t.match(tokenTwice.body, '<p class="notice error" role="alert">_csrf: must be a single value, not 2 values.</p>', 'the reason names the field');
  t.equal((await orm.em.fork().findOneOrFail(User, { id: ann.id }, ACROSS_ACCOUNTS)).disabledAt, null, 'still enabled');
});

// --- API keys ---------------------------------------------------------------------------------

t.test('creating an API key with its name twice, as an object or with a NUL byte shows the keys page again and creates no key', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/api-keys');
  const twice = await client.postRaw('/settings/api-keys', 'name=CRM&name=ERP');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>API keys</h1>');
  t.match(twice.body, fieldError('name', SINGLE));
  t.notMatch(twice.body, 'id="created-key"', 'no key is shown');
  const object = await client.postJson('/settings/api-keys', { name: { first: 'CRM' } });
  t.equal(object.statusCode, 422);
  t.match(object.body, fieldError('name', 'Must be text, not an object.'));
  const nul = await client.postRaw('/settings/api-keys', 'name=CRM%00sync');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, fieldError('name', 'Contains a NUL character.'));
  t.match(nul.body, /name="name"[^>]*value="CRMsync"[^>]*aria-invalid="true"/, 'what was typed comes back, cleaned, with the field marked');
  t.equal(await em().count(ApiKey, {}), 0);
});

t.test("an over-long key name is refused at the edge; the service still says its own limit", async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/api-keys');
  const huge = await client.post('/settings/api-keys', { name: 'k'.repeat(5000) });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, fieldError('name', 'At most 1,000 characters.'));
  const long = await client.post('/settings/api-keys', { name: 'k'.repeat(101) });
  t.equal(long.statusCode, 422);
  t.match(long.body, 'Give the key a name of at most 100 characters.');
  t.equal(await em().count(ApiKey, {}), 0);
});

// --- The account ------------------------------------------------------------------------------

t.test('account settings with the time zone sent twice or a NUL byte in the name come back marked, and the account is unchanged', async (t) => {
  const { client, em, account } = await setup(t);
  await client.get('/settings/account');
  const twice = await client.postRaw('/settings/account', 'name=Renamed&timeZone=UTC&timeZone=Europe%2FParis&currency=EUR');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>Account settings</h1>');
  t.match(twice.body, fieldError('timeZone', SINGLE));
  t.match(twice.body, 'value="Renamed"', 'the name typed is kept');
  const nul = await client.postRaw('/settings/account', 'name=Re%00named&timeZone=UTC&currency=EUR');
  t.equal(nul.statusCode, 422);
  t.match(nul.body, fieldError('name', 'Contains a NUL character.'));
  const rules = await client.post('/settings/account', { name: 'Renamed', timeZone: 'Mars/Olympus', currency: 'euro', defaultCountry: 'XX' });
  t.equal(rules.statusCode, 422, "the service's rules go through the same helper");
  t.match(rules.body, fieldError('timeZone', 'Choose a time zone from the list.'));
  t.match(rules.body, fieldError('currency', 'The currency is a three-letter ISO code such as EUR or USD.'));
  t.match(rules.body, fieldError('defaultCountry', 'Choose a country from the list, or none.'));
  const stored = await em().findOneOrFail(Account, { id: account.id });
  t.same([stored.name, stored.timeZone, stored.currency], [account.name, 'Europe/Paris', 'EUR'], 'unchanged');
  const saved = await client.post('/settings/account', { name: ' Renamed ', timeZone: 'UTC', currency: 'usd', defaultCountry: 'fr' });
  t.equal(saved.statusCode, 200);
  t.match(saved.body, 'Saved.');
  const after = await em().findOneOrFail(Account, { id: account.id });
  t.same([after.name, after.timeZone, after.currency, after.defaultCountry], ['Renamed', 'UTC', 'USD', 'FR'], 'a valid form is saved, normalised');
});

// --- Credits ----------------------------------------------------------------------------------

t.test('adding credit with the amount twice or as a list comes back as the form, and the ledger is unchanged', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/credits');
  const twice = await client.postRaw('/settings/credits', 'amount=50&amount=5000&note=Invoice+7');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>Credits</h1>');
  t.match(twice.body, fieldError('amount', SINGLE));
  t.match(twice.body, 'value="Invoice 7"', 'the note typed is kept');
  const list = await client.postJson('/settings/credits', { amount: ['50'] });
  t.equal(list.statusCode, 422);
  t.match(list.body, fieldError('amount', 'Must be text, not a list.'));
  const number = await client.postJson('/settings/credits', { amount: 50 });
  t.equal(number.statusCode, 422, 'a JSON number is not text either');
  t.match(number.body, fieldError('amount', 'Must be text, not a number.'));
  t.equal(await em().count(CreditTransaction, {}), 0);
});

t.test('a credit amount out of range or in an odd notation is refused in words, and a note too long is marked', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/credits');
  for (const amount of ['1000000.000001', '2000000']) {
    const response = await client.post('/settings/credits', { amount });
    t.equal(response.statusCode, 422, `${amount} is refused`);
    t.match(response.body, fieldError('amount', 'At most 1,000,000 at a time.'));
  }
  for (const amount of ['99999999999999999999', '1e6', '0x10', '-1', '0', 'Infinity']) {
    const response = await client.post('/settings/credits', { amount });
    t.equal(response.statusCode, 422, `${amount} is refused`);
    t.match(response.body, fieldError('amount', 'Enter a positive amount, such as 50 or 12.50.'));
  }
  const huge = await client.post('/settings/credits', { amount: '1'.repeat(5000) });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, fieldError('amount', 'At most 1,000 characters.'));
  const note = await client.post('/settings/credits', { amount: '5', note: 'n'.repeat(301) });
  t.equal(note.statusCode, 422);
  t.match(note.body, fieldError('note', 'A note can have at most 300 characters.'));
  t.equal(await em().count(CreditTransaction, {}), 0);
  t.equal((await client.post('/settings/credits', { amount: '1000000' })).statusCode, 303, 'the largest top-up is taken');
});

t.test('a malformed ?before= on the credit ledger is the error page, not a silently different page', async (t) => {
  const { client, em, account } = await setup(t);
  const fork = em();
  for (let i = 0; i < 3; i++) fork.create(CreditTransaction, { account: account.id, kind: 'topup', amountMicros: 1_000_000, note: `Entry ${i}`, actor: 'test' });
  await fork.flush();
  const ids = (await em().find(CreditTransaction, {}, { orderBy: { id: 'asc' } })).map((entry) => entry.id);
  const cursor = await client.get(`/settings/credits?before=${ids[2]}`);
  t.equal(cursor.statusCode, 200, 'a real cursor works');
  t.match(cursor.body, 'Entry 1');
  t.notMatch(cursor.body, 'Entry 2', 'the page starts before the cursor');
  for (const [query, message] of [
    ['before=abc', 'before: must be a whole number of at most 15 digits.'],
    ['before=-1', 'before: must be a whole number of at most 15 digits.'],
    ['before=1234567890123456', 'before: must be a whole number of at most 15 digits.'],
    ['before=1&before=2', 'before: must be a single value, not 2 values.'],
    ['before=1%00', 'before: contains a NUL character.'],
  ]) {
    const response = await client.get(`/settings/credits?${query}`);
    t.equal(response.statusCode, 400, `?${query}: 400`);
    t.match(response.body, message);
  }
});

// --- Prices -----------------------------------------------------------------------------------

t.test('setting a price with the price twice or the country as a list comes back as the form, and no price is saved', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/prices');
  const twice = await client.postRaw('/settings/prices', 'country=FR&price=0.045&price=0.05');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, '<h1>Prices</h1>');
  t.match(twice.body, fieldError('price', SINGLE));
  t.match(twice.body, '<option value="FR" selected>France (FR)</option>', 'the country chosen is kept');
  const list = await client.postJson('/settings/prices', { country: ['FR', 'DE'], price: '0.045' });
  t.equal(list.statusCode, 422);
  t.match(list.body, fieldError('country', SINGLE));
  const surrogate = await client.postJson('/settings/prices', '{"country": "F\\udfffR", "price": "0.045"}');
  t.equal(surrogate.statusCode, 422);
  t.match(surrogate.body, fieldError('country', 'Contains an invalid character (an unpaired surrogate).'));
  const high = await client.post('/settings/prices', { country: 'FR', price: '100.000001' });
  t.equal(high.statusCode, 422, 'a price out of range is the service’s to explain');
  t.match(high.body, fieldError('price', 'A price per part above 100 is surely a mistake.'));
  t.equal(await em().count(Price, {}), 0);
});

t.test('a price CSV sent twice, too long or with a NUL byte imports nothing', async (t) => {
  const { client, em } = await setup(t);
  await client.get('/settings/prices');
  const twice = await client.postRaw('/settings/prices/import', 'csv=FR%2C0.05&csv=DE%2C0.07');
  t.equal(twice.statusCode, 422);
  t.match(twice.body, fieldError('csv', SINGLE));
  const huge = await client.post('/settings/prices/import', { csv: 'FR,0.05\n'.repeat(12_500) + 'DE,0.07' });
  t.equal(huge.statusCode, 422);
  t.match(huge.body, fieldError('csv', 'At most 100,000 characters.'));
  const nul = await client.post('/settings/prices/import', { csv: 'FR,0.05\nDE,0.0\u00007' });
  t.equal(nul.statusCode, 422);
  t.match(nul.body, fieldError('csv', 'Contains a NUL character.'));
  t.equal(await em().count(Price, {}), 0, 'not even the valid first line');
  const everyCountry = getCountries();
  const full = await client.post('/settings/prices/import', { csv: ['country,price', ...everyCountry.map((country) => `"${country}" , 0.045000`), '*,0.09'].join('\r\n') });
  t.equal(full.statusCode, 200, 'a price for every country is well within the bound');
  t.match(full.body, `${everyCountry.length + 1} prices imported.`);
});

// --- Ids in URLs ------------------------------------------------------------------------------

t.test('a malformed id in a Settings URL is "not found", and nothing changes', async (t) => {
  const { client, owner, orm } = await setup(t);
  for (const [url, message] of [
    ['/settings/users/not-a-uuid', 'There is no such user.'],
    ['/settings/users/123', 'There is no such user.'],
    ['/settings/users/%00', 'There is nothing at this address.'],
  ]) {
    const response = await client.get(url);
    t.equal(response.statusCode, 404, `GET ${url}: 404`);
    t.match(response.body, message);
  }
  await client.get(`/settings/users/${owner.id}`);
  for (const [url, message] of [
    ['/settings/users/x/role', 'There is no such user.'],
    ['/settings/users/x/disable', 'There is no such user.'],
    ['/settings/users/x/enable', 'There is no such user.'],
    ['/settings/api-keys/x/revoke', 'There is no such API key.'],
    ['/settings/prices/x/delete', 'There is no such price.'],
  ]) {
    const response = await client.postRaw(url, 'role=viewer&role=owner');
    t.equal(response.statusCode, 404, `POST ${url}: 404, the URL is looked at before the body`);
    t.match(response.body, message);
  }
  t.equal((await orm.em.fork().findOneOrFail(User, { id: owner.id }, ACROSS_ACCOUNTS)).role, 'owner');
});

// --- The reporting search ---------------------------------------------------------------------

t.test('the reporting search with q sent twice, too long or with a NUL byte is the error page; a plain search works', async (t) => {
  const { client } = await setup(t);
  t.equal((await client.get('/reporting?q=Winter')).statusCode, 200);
  for (const [query, message] of [
    ['q=Winter&q=Summer', 'q: must be a single value, not 2 values.'],
    [`q=${'w'.repeat(1001)}`, 'q: at most 1,000 characters.'],
    ['q=Win%00ter', 'q: contains a NUL character.'],
  ]) {
    const response = await client.get(`/reporting?${query}`);
    t.equal(response.statusCode, 400, `?${query.slice(0, 30)}: 400`);
    t.match(response.body, message);
  }
});
