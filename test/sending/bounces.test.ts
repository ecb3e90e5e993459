import t from 'tap';
import { buildTestApp, createTenant, eventually, signedIn } from '../helper.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { readyToSend, query } from './helpers.js';

t.test("a simulated campaign's undelivered messages come back as both hard and soft bounces, with realistic error codes", async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  const { campaign, list, em } = await readyToSend(orm, account, { simulator: { failure_rate: '1' } });
  const more = Array.from({ length: 20 }, (_, i) => em.create(Contact, { account, phone: `+336123457${String(i).padStart(2, '0')}`, country: 'FR' }));
  await em.flush();
  for (const contact of more) await query(orm, 'insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, account.id]);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/recipients`);
  t.equal((await client.post(`/create/${campaign.id}/schedule`, { when: 'now' })).statusCode, 303);
  const reported = await eventually(
    'every message reported undelivered',
    () => query<{ error_code: string; bounce: string }>(orm, `select error_code, bounce from message where campaign_id = ? and status = 'undelivered'`, [campaign.id]),
    { until: (rows) => rows.length === 23 },
  );
  const classes = new Set(reported.map((m) => m.bounce));
  t.same([...classes].sort(), ['hard', 'soft'], 'both kinds of bounce, and no unknown');
  t.notOk(reported.some((m) => m.error_code.startsWith('SIM-')), 'network error codes, not made-up ones');
});
