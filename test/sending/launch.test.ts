import t from 'tap';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query } from './helpers.js';

t.test('a launch writes one message per recipient, skipped ones with their reason, and running it twice adds nothing', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  const first = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.same(first, { outcome: 'launched', queued: 3, skipped: 2 });
  const second = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.equal(second.outcome, 'nothing', 'the second launch does nothing');
  const rows = await query<{ phone: string; status: string; skip_reason: string | null }>(orm, 'select phone, status, skip_reason from message where campaign_id = ? order by phone', [campaign.id]);
  t.same(rows.map((r) => [r.phone, r.status, r.skip_reason]), [
    ['+33612345601', 'queued', null],
    ['+33612345602', 'queued', null],
    ['+33612345604', 'skipped', 'opted_out'],
    ['+33612345605', 'skipped', 'bad_number'],
    ['+4915112345603', 'queued', null],
  ]);
  const [status] = await query<{ status: string }>(orm, 'select status from campaign where id = ?', [campaign.id]);
  t.equal(status.status, 'sending');
});

t.test('a launch the credit does not cover is refused: back to draft with the reason, no message written', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account, { credit: 10_000 });
  await scheduleNow(orm, account, campaign.id);
  const result = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.equal(result.outcome, 'refused');
  const [row] = await query<{ status: string; problem: string }>(orm, 'select status, problem from campaign where id = ?', [campaign.id]);
  t.equal(row.status, 'draft');
  t.match(row.problem, /^Not launched: Insufficient credit/);
  t.same(await query(orm, 'select 1 from message where campaign_id = ?', [campaign.id]), []);
  const client = await signedIn(app, owner);
  t.match((await client.get('/create')).body, /data-field="problem">Not launched: Insufficient credit</, 'the Create tab says why');
  t.match((await client.get(`/create/${campaign.id}`)).body, /It needs up to €0.15; the balance is €0.01/, 'its page gives the figures');
});

t.test('erasing a contact removes its number and text from its messages, and what had not left is skipped', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign, contacts } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  const client = await signedIn(app, owner);
  const ann = contacts[0];
  await client.get(`/contacts/${ann.id}/delete`);
  t.equal((await client.post(`/contacts/${ann.id}/delete`)).statusCode, 303);
  const rows = await query<{ contact_id: string | null; phone: string; status: string; skip_reason: string | null }>(orm, `select contact_id, phone, status, skip_reason from message where campaign_id = ? and (contact_id is null or contact_id = ?)`, [campaign.id, ann.id]);
  t.same(rows, [{ contact_id: null, phone: '', status: 'skipped', skip_reason: 'erased' }]);
  const [left] = await query<{ count: string }>(orm, `select count(*) from message where campaign_id = ? and status = 'queued'`, [campaign.id]);
  t.equal(Number(left.count), 2, 'the others still go');
});

t.test('a disabled default gateway is named in step 2, before the launch refuses it', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await query(orm, `update gateway set disabled = true where account_id = ?`, [account.id]);
  const client = await signedIn(app, owner);
  t.match((await client.get(`/create/${campaign.id}/recipients`)).body, /The gateway &quot;[^&]+&quot; is disabled|The gateway "[^"]+" is disabled/);
  await scheduleNow(orm, account, campaign.id);
  const result = await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  t.match(result, { outcome: 'refused', reason: /^Not launched: The gateway "[^"]+" is disabled/ });
});

t.test("erasing a contact who was sent a message removes its number and text from the gateway's copy too", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign, contacts } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: 'http://localhost:3000' });
  const ann = contacts[0];
  const [annMessage] = await query<{ id: string }>(orm, `select id from message where campaign_id = ? and contact_id = ?`, [campaign.id, ann.id]);
  t.same((await query<{ phone: string }>(orm, 'select phone from simulator_message where client_ref = ?', [annMessage.id])).map((r) => r.phone), [ann.phone], 'the simulator holds her number');
  const client = await signedIn(app, owner);
  await client.get(`/contacts/${ann.id}/delete`);
  t.equal((await client.post(`/contacts/${ann.id}/delete`)).statusCode, 303);
  const copies = await query<{ phone: string; body: string }>(orm, 'select phone, body from simulator_message where client_ref = ?', [annMessage.id]);
  t.same(copies, [{ phone: '', body: '' }], 'the gateway copy keeps neither her number nor her text');
  t.equal((await query(orm, `select 1 from simulator_message where phone = ? or body like ?`, [ann.phone, `%${ann.firstName}%`])).length, 0, 'nothing of hers is left there');
  const others = await query<{ phone: string }>(orm, `select phone from simulator_message where phone <> '' order by phone`);
  t.equal(others.length, 2, "the other recipients' copies stay");
});
