import t from 'tap';
import { buildTestApp, createTenant, eventually, signedIn } from '../helper.js';
import { loadConfig, ConfigError } from '../../src/config.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query, PART_PRICE } from './helpers.js';

t.test('a campaign sent now from the wizard reaches the simulator, is delivered, and is billed exactly', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/recipients`);
  const scheduled = await client.post(`/create/${campaign.id}/schedule`, { when: 'now' });
  t.equal(scheduled.statusCode, 303);
  await eventually(
    'every message delivered',
    async () => Number((await query<{ count: string }>(orm, `select count(*) from message where campaign_id = ? and status = 'delivered'`, [campaign.id]))[0].count),
    { until: (delivered) => delivered === 3 },
  );
  const received = await query<{ phone: string; body: string }>(orm, 'select phone, body from simulator_message order by phone');
  t.same(received.map((r) => r.phone), ['+33612345601', '+33612345602', '+4915112345603'], 'opted-out and bad numbers never reach the gateway');
  t.equal(received[0].body, 'Hello Ann, spring sale today!');
  const [ledger] = await query<{ debits: string }>(orm, `select -sum(amount_micros) as debits from credit_transaction where account_id = ? and kind = 'debit'`, [account.id]);
  t.equal(Number(ledger.debits), 3 * PART_PRICE, 'one part each at the price');
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, /data-stat="delivered">3</);
  const [status] = await query<{ status: string }>(orm, 'select status from campaign where id = ?', [campaign.id]);
  t.equal(status.status, 'sent');
});

t.test('scheduling a campaign for later sets its launch job at that time, and unscheduling removes it', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true });
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/recipients`);
  const at = new Date(Date.now() + 3 * 3600_000);
  await client.post(`/create/${campaign.id}/schedule`, { when: 'later', at: at.toISOString().slice(0, 16) + 'Z' });
  const jobs = await query<{ next_run_at: Date }>(orm, `select next_run_at from agenda_jobs where name = 'campaign-launch' and data->>'campaignId' = ?`, [campaign.id]);
  t.equal(jobs.length, 1);
  t.equal(Math.round(new Date(jobs[0].next_run_at).getTime() / 60_000), Math.round(new Date(at.toISOString().slice(0, 16) + 'Z').getTime() / 60_000), 'at the scheduled minute');
  await client.post(`/create/${campaign.id}/unschedule`);
  t.same(await query(orm, `select 1 from agenda_jobs where name = 'campaign-launch' and data->>'campaignId' = ?`, [campaign.id]), []);
});

t.test('two dispatchers working on one campaign at once send every message exactly once', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign, list } = await readyToSend(orm, account, { mps: 10_000, credit: 1_000_000_000 });
  await query(orm, `insert into contact (account_id, phone, country, created_at, updated_at) select ?, '+33700' || lpad(g::text, 6, '0'), 'FR', now(), now() from generate_series(1, 3000) g`, [account.id]);
  await query(orm, `insert into contact_list_member (account_id, list_id, contact_id) select account_id, ?, id from contact where account_id = ? and phone like '+33700%'`, [list.id, account.id]);
  await query(orm, `update campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [campaign.id]);
  const { launchCampaign } = await import('../../src/modules/sending/launch.js');
  const { dispatchCampaign } = await import('../../src/modules/sending/dispatcher.js');
  const { withAccount } = await import('../../src/db/tenant.js');
  const launched = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.equal(launched.outcome === 'launched' && launched.queued, 3003);
  const dispatch = () => dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: 'http://localhost:3000' });
  const [a, b] = await Promise.all([dispatch(), dispatch()]);
  t.equal(a.dispatched + b.dispatched, 3003, 'together they dispatched each message once');
  t.ok(a.dispatched > 0 && b.dispatched > 0, 'both took part');
  const [counts] = await query<{ sent: string; simulated: string; refs: string }>(orm, `select (select count(*) from message where campaign_id = ? and status = 'sent') as sent, (select count(*) from simulator_message) as simulated, (select count(distinct client_ref) from simulator_message) as refs`, [campaign.id]);
  t.same([Number(counts.sent), Number(counts.simulated), Number(counts.refs)], [3003, 3003, 3003]);
  const [money] = await query<{ debited: string; costs: string }>(orm, `select (select -sum(amount_micros) from credit_transaction where campaign_id = ?) as debited, (select sum(cost_micros) from message where campaign_id = ?) as costs`, [campaign.id, campaign.id]);
  t.equal(Number(money.debited), Number(money.costs), 'billed exactly once per message');
  t.equal(Number(money.costs), 3003 * PART_PRICE);
});

t.test('a message a dead dispatcher left sending is sent again once SENDING_CLAIM_LEASE_SECONDS has passed, not before', async (t) => {
  t.equal(loadConfig({}).claimLeaseSeconds, 30, '30 seconds by default');
  t.throws(() => loadConfig({ SENDING_CLAIM_LEASE_SECONDS: '1' }), new ConfigError('SENDING_CLAIM_LEASE_SECONDS must be between 5 and 3600, got 1'), 'a bad value stops start-up with one line');
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  const em = () => withAccount(orm.em, account.id);
  t.match(await launchCampaign(em(), campaign.id, 'http://localhost:3000'), { outcome: 'launched', queued: 3 });
  // A dispatcher claimed one message 20 seconds ago and died before recording what the gateway said.
  await query(orm, `update message set status = 'sending', claimed_at = now() - interval '20 seconds' where id = (select id from message where campaign_id = ? and status = 'queued' order by phone limit 1)`, [campaign.id]);
  const statuses = async () => (await query<{ status: string }>(orm, `select status from message where campaign_id = ? and status <> 'skipped' order by phone`, [campaign.id])).map((row) => row.status);
  const dispatch = (env: Record<string, string>) => dispatchCampaign(em(), account.id, campaign.id, { publicUrl: 'http://localhost:3000', leaseSeconds: loadConfig(env).claimLeaseSeconds });

  const withinLease = await dispatch({});
  t.equal(withinLease.dispatched, 2, 'within the default lease, only the queued messages go out');
  t.ok(withinLease.nextAt && withinLease.nextAt.getTime() > Date.now(), 'the dispatcher comes back when the claim can be taken over');
  t.same(await statuses(), ['sending', 'sent', 'sent']);

  const afterLease = await dispatch({ SENDING_CLAIM_LEASE_SECONDS: '10' });
  t.same(afterLease, { dispatched: 1, nextAt: null }, 'with a 10-second lease the claim is stale: it is sent again and the campaign finishes');
  t.same(await statuses(), ['sent', 'sent', 'sent']);
});
