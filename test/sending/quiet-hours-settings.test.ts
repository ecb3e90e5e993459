import t from 'tap';
import { buildTestApp, createTenant, signedIn, addUser } from '../helper.js';
import { query } from './helpers.js';

t.test('an owner turns quiet hours off and on and sets a country window; bad times are refused and change nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const page = await client.get('/settings/quiet-hours');
  t.match(page.body, /Quiet hours are <strong>on<\/strong>/, 'on by default');
  t.match(page.body, /<tr data-country="FR">[\s\S]*?08:00–20:00[\s\S]*?10:00–18:00[\s\S]*?closed/);
  await client.post('/settings/quiet-hours/enabled', {});
  t.match((await client.get('/settings/quiet-hours')).body, /Quiet hours are <strong>off<\/strong>/);
  const bad = await client.post('/settings/quiet-hours', { country: 'DE', weekdays_from: '9', weekdays_to: '20:00' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /Write times as HH:MM/);
  t.same((await query<{ quiet_hour_rules: unknown }>(orm, 'select quiet_hour_rules from account where id = ?', [account.id]))[0].quiet_hour_rules, null, 'nothing saved');
  const saved = await client.post('/settings/quiet-hours', { country: 'de', weekdays_from: '09:00', weekdays_to: '19:00', saturday_from: '', saturday_to: '', sunday_from: '', sunday_to: '' });
  t.equal(saved.statusCode, 303);
  const after = await client.get('/settings/quiet-hours');
  t.match(after.body, /<tr data-country="DE">[\s\S]*?\(yours\)[\s\S]*?09:00–19:00[\s\S]*?closed[\s\S]*?closed/);
  await client.post('/settings/quiet-hours/DE/reset');
  t.notMatch((await client.get('/settings/quiet-hours')).body, /data-country="DE"/);
});

t.test('marketers see quiet hours but cannot change them', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const marketer = await addUser(orm, account, 'marketer');
  const client = await signedIn(app, marketer);
  t.equal((await client.get('/settings/quiet-hours')).statusCode, 200);
  t.equal((await client.post('/settings/quiet-hours/enabled', {})).statusCode, 403);
});
