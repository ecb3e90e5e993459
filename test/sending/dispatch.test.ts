import t from 'tap';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { readyToSend, until, query, PART_PRICE } from './helpers.js';

t.test('a campaign sent now from the wizard reaches the simulator, is delivered, and is billed exactly', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/recipients`);
  const scheduled = await client.post(`/create/${campaign.id}/schedule`, { when: 'now' });
  t.equal(scheduled.statusCode, 303);
  await until('every message delivered', async () => {
    const rows = await query<{ count: string }>(orm, `select count(*) from message where campaign_id = ? and status = 'delivered'`, [campaign.id]);
    return Number(rows[0].count) === 3;
  });
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
