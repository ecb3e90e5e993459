import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildTestApp, createTenant, addUser, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { Price } from '../../src/modules/accounts/price.entity.js';
import { audience } from '../campaigns/helpers.js';

const run = promisify(execFile);

t.test('an owner adds credit with a note; the balance is the sum of the ledger and shows in every page', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/credits');
  t.equal((await client.post('/settings/credits', { amount: '50', note: 'Invoice 1' })).statusCode, 303);
  t.equal((await client.post('/settings/credits', { amount: '12,345678', note: '' })).statusCode, 303);
  const page = await client.get('/settings/credits');
  t.match(page.body, /id="credit-balance">€62\.3457</);
  t.match(page.body, /Credit: <strong>€62\.3457<\/strong>/);
  t.match(page.body, 'Invoice 1');
  const entries = await withAccount(orm.em, account.id).find(CreditTransaction, {}, { orderBy: { id: 'asc' } });
  t.same(entries.map((e) => [e.kind, e.amountMicros]), [['topup', 50_000_000], ['topup', 12_345_678]]);
  for (const bad of ['-5', 'abc', '0', '1.1234567']) {
    const refused = await client.post('/settings/credits', { amount: bad });
    t.equal(refused.statusCode, 422, `refuses ${bad}`);
  }
  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  t.equal((await marketer.post('/settings/credits', { amount: '5' })).statusCode, 403, 'only owners add credit');
  t.equal(await withAccount(orm.em, account.id).count(CreditTransaction, {}), 2);
});

t.test('prices per country with a default, from the form and from CSV; bad CSV changes nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/settings/prices');
  t.equal((await client.post('/settings/prices', { country: 'fr', price: '0.045' })).statusCode, 303);
  const bad = await client.post('/settings/prices', { country: 'XX', price: '-1' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, '&quot;XX&quot; is not a country code');
  t.match(bad.body, 'A price cannot be negative.');
  const refused = await client.post('/settings/prices/import', { csv: 'country,price\nDE,0.07\nES,abc\nIT,-0.01' });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, 'Line 3: &quot;abc&quot; is not a price');
  t.match(refused.body, 'Line 4: A price cannot be negative.');
  t.equal(await withAccount(orm.em, account.id).count(Price, {}), 1, 'nothing of a refused file is imported');
  const imported = await client.post('/settings/prices/import', { csv: 'country,price\nDE,0.07\nFR,0.05\n*,0.09' });
  t.match(imported.body, '3 prices imported.');
  const prices = await withAccount(orm.em, account.id).find(Price, {}, { orderBy: { country: 'asc' } });
  t.same(prices.map((p) => [p.country, p.partPriceMicros]), [['DE', 70_000], ['FR', 50_000], [null, 90_000]]);
});

t.test('step 2 of the wizard shows the estimated cost per country and warns when credit is short', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/settings/prices');
  await client.post('/settings/prices/import', { csv: 'FR,0.05\n*,0.10' });
  await client.get('/create/new');
  const created = await client.post('/create', { kind: 'batch', name: 'Costed', sender: 'ACME', body: 'Hi STOP' });
  const id = /\/create\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1];
  await client.get(`/create/${id}/recipients`);
  await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id });
  const page = await client.get(`/create/${id}/recipients`);
  t.match(page.body, /data-reach="cost">€0\.20</, '2 FR parts at 0.05 + 1 DE part at the 0.10 default');
  t.match(page.body, 'Insufficient credit. It needs up to');
  await client.get('/settings/credits');
  await client.post('/settings/credits', { amount: '1' });
  t.notMatch((await client.get(`/create/${id}/recipients`)).body, 'Insufficient credit');
});

t.test('npm run cli -- credits add tops up an account', async (t) => {
  const { orm, databaseUrl } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const env = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'credits', 'add', '--account', account.id, '--amount', '12.50'], { env });
  t.match(stdout.trim(), /balance €12\.50\) [0-9]+$/);
  const refused = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'credits', 'add', '--account', account.id, '--amount=-3'], { env }).catch((e) => e);
  t.equal(refused.code, 2);
  t.match(refused.stderr, 'Enter a positive amount');
});
