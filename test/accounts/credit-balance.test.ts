// The credit balance kept on the account's row (migration AccountCreditBalance) against the
// ledger it sums: concurrent debits, refunds and top-ups through the real credit functions, the
// hourly reconciliation, and what a page shows. And a session's last-seen time, written at most
// once a minute.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createKey, createTenant, signedIn } from '../helper.js';
import { inTransaction, withClient } from '../../src/db/raw-client.js';
import { withAccount } from '../../src/db/tenant.js';
import { addCredit, reconcileCreditBalances } from '../../src/modules/accounts/credits.js';
import { debitOn, ledgerSumOn, recordSendingEntryOn } from '../../src/modules/accounts/credits.queries.js';

async function sql<T>(orm: MikroORM, text: string, params: unknown[] = []): Promise<T[]> {
  return withClient(orm.em.fork(), async (client) => (await client.query(text, params)).rows as T[]);
}

const kept = async (orm: MikroORM, accountId: string) =>
  Number((await sql<{ balance: string }>(orm, 'select credit_balance_micros as balance from account where id = $1', [accountId]))[0]!.balance);
const ledger = (orm: MikroORM, accountId: string) => withClient(orm.em.fork(), (client) => ledgerSumOn(client, accountId));

t.test('the kept balance is the ledger sum after concurrent debits, refunds and top-ups, and debits never overspend', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { account: other } = await createTenant(orm);
  await addCredit(withAccount(orm.em, account.id), account, '10', 'start', 'test');
  await addCredit(withAccount(orm.em, other.id), other, '3', 'start', 'test');

  // 60 debits of 0.40 (24 in all) against 10 plus 20 top-ups of 0.25 (5): some must be refused.
  const debits = Array.from({ length: 60 }, () =>
    inTransaction(orm.em.fork(), (client) => debitOn(client, { accountId: account.id, campaignId: null, amountMicros: 400_000, note: 'batch' })),
  );
  const refunds = Array.from({ length: 20 }, () =>
    inTransaction(orm.em.fork(), (client) => recordSendingEntryOn(client, { accountId: account.id, campaignId: null, kind: 'refund', amountMicros: 100_000, note: 'refused' })),
  );
  const topUps = Array.from({ length: 20 }, () => addCredit(withAccount(orm.em, account.id), account, '0.25', 'more', 'test'));
  // The other account's entries go on meanwhile and stay its own.
  const others = Array.from({ length: 10 }, () =>
    inTransaction(orm.em.fork(), (client) => debitOn(client, { accountId: other.id, campaignId: null, amountMicros: 100_000, note: 'batch' })),
  );
  const [debited, , , otherDebited] = await Promise.all([Promise.all(debits), Promise.all(refunds), Promise.all(topUps), Promise.all(others)]);

  const accepted = debited.filter(Boolean).length;
  t.ok(accepted > 0 && accepted < 60, `some debits were refused for want of credit (${accepted} of 60 accepted)`);
  const expected = 10_000_000 + 20 * 100_000 + 20 * 250_000 - accepted * 400_000;
  t.equal(await ledger(orm, account.id), expected, 'the ledger holds every entry written');
  t.equal(await kept(orm, account.id), expected, 'the kept balance equals the ledger sum');
  t.ok(expected >= 0, 'no debit spent credit that was not there');
  t.equal(await kept(orm, other.id), 3_000_000 - otherDebited.filter(Boolean).length * 100_000);
  t.equal(await kept(orm, other.id), await ledger(orm, other.id));
  t.same(await reconcileCreditBalances(orm.em.fork()), [], 'the reconciliation finds nothing to fix');
});

t.test('the header and the API show the kept balance, which a top-up on Settings → Credits moves', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  t.match((await client.get('/dashboard')).body, /Credit: <strong>€0\.00<\/strong>/);
  t.equal((await client.post('/settings/credits', { amount: '12.50', note: 'Invoice 9' })).statusCode, 303);
  t.match((await client.get('/dashboard')).body, /Credit: <strong>€12\.50<\/strong>/);
  await inTransaction(orm.em.fork(), (client) => debitOn(client, { accountId: account.id, campaignId: null, amountMicros: 2_500_000, note: 'batch' }));
  const tab = await client.get('/settings', { 'hx-request': 'true', 'hx-target': 'main#main' });
  t.match(tab.body, /€10\.00/, 'a tab switch carries the balance after a debit');
  t.equal(await kept(orm, account.id), 10_000_000);
  const key = await createKey(orm, account);
  const api = await app.inject({ url: '/api/v1/account', headers: { authorization: `Bearer ${key}` } });
  t.equal(api.json().credit_balance_micros, 10_000_000);
});

t.test('the reconciliation finds a damaged balance and sets it to the ledger sum, leaving the others', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { account: healthy } = await createTenant(orm);
  await addCredit(withAccount(orm.em, account.id), account, '7', null, 'test');
  await addCredit(withAccount(orm.em, healthy.id), healthy, '4', null, 'test');
  // A hand-made change the ledger's trigger did not see (a restore, a fix with triggers off).
  await sql(orm, 'update account set credit_balance_micros = 123 where id = $1', [account.id]);

  const fixes = await reconcileCreditBalances(orm.em.fork());
  t.same(fixes, [{ accountId: account.id, keptMicros: 123, ledgerMicros: 7_000_000 }]);
  t.equal(await kept(orm, account.id), 7_000_000);
  t.equal(await kept(orm, healthy.id), 4_000_000);
  t.same(await reconcileCreditBalances(orm.em.fork()), [], 'a second run finds nothing');

  // After the fix, entries add to the corrected balance.
  await inTransaction(orm.em.fork(), (client) => debitOn(client, { accountId: account.id, campaignId: null, amountMicros: 1_000_000, note: 'batch' }));
  t.equal(await kept(orm, account.id), 6_000_000);
  t.equal(await kept(orm, account.id), await ledger(orm, account.id));
});

t.test("a session's last-seen time is written at most once a minute", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const lastSeen = async () => Number((await sql<{ ms: string }>(orm, 'select extract(epoch from last_seen_at) * 1000 as ms from session where user_id = $1', [owner.id]))[0]!.ms);
  const setBack = (seconds: number) => sql(orm, `update session set last_seen_at = now() - make_interval(secs => $2) where user_id = $1`, [owner.id, seconds]);

  await setBack(50);
  const before = await lastSeen();
  for (let i = 0; i < 3; i++) t.equal((await client.get('/dashboard')).statusCode, 200);
  t.equal(await lastSeen(), before, 'requests within the minute leave it as it was');

  await setBack(61);
  const stale = await lastSeen();
  t.equal((await client.get('/dashboard')).statusCode, 200);
  const touched = await lastSeen();
  t.ok(touched > stale + 60_000, 'the first request after a minute moves it to now');
  t.equal((await client.get('/dashboard')).statusCode, 200);
  t.equal(await lastSeen(), touched, 'and the next one leaves it');
});
