import t from 'tap';
import { buildTestApp, createTenant, fieldError, signedIn, addUser } from '../helper.js';
import { automationCampaign, query } from '../sending/helpers.js';
import { withAccount } from '../../src/db/tenant.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { addInboundNumber } from '../inbound/helpers.js';
import { template } from './email-helpers.js';
import { contact, endWaits, externalEvent, program, runner, runsOf, trigger } from './helpers.js';

const listMembers = (orm: Parameters<typeof query>[0], listId: string) => query<{ contact_id: string }>(orm, 'select contact_id from contact_list_member where list_id = ? order by contact_id', [listId]);

t.test('a triggered contact goes through the steps: a list, a field from the event data, a wait, then the rest', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const list = em.create(ContactList, { account: account.id, name: 'Confirmed' });
  em.create(CustomField, { account: account.id, key: 'city', label: 'City', type: 'text' });
  const later = em.create(ContactList, { account: account.id, name: 'After a day' });
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [
    { kind: 'add_to_list', list: list.id },
    { kind: 'update_field', field_key: 'city', field_value: '{{event.city|Unknown}}' },
    { kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'days' },
    { kind: 'add_to_list', list: later.id },
  ]);
  const ann = await contact(orm, account, '+33612345001');
  const bob = await contact(orm, account, '+33612345002');
  await trigger(orm, account, eventId, [ann], { city: 'Lyon' });
  await trigger(orm, account, eventId, [bob]);
  const work = runner(orm);
  await work.tick();

  t.same((await listMembers(orm, list.id)).map((m) => String(m.contact_id)).sort(), [String(ann.id), String(bob.id)].sort(), 'both are on the first list');
  const fields = await query<{ id: string; fields: Record<string, string> }>(orm, 'select id, fields from contact where account_id = ? order by id', [account.id]);
  t.same(fields.map((c) => c.fields.city), ['Lyon', 'Unknown'], 'the field took the event data, or the fallback');
  let runs = await runsOf(orm, prog.id);
  t.same(runs.map((r) => r.status), ['running', 'running'], 'both wait');
  t.equal(runs[0]!.path, 'add_to_list:passed > update_field:passed', 'the path so far');
  t.ok(new Date(runs[0]!.due_at).getTime() > Date.now() + 23 * 3600_000, 'the wait ends in a day');
  t.same(await listMembers(orm, later.id), [], 'nobody is on the later list yet');

  await work.tick();
  t.same(await listMembers(orm, later.id), [], 'a tick during the wait does nothing');

  await endWaits(orm, prog.id);
  await work.tick();
  runs = await runsOf(orm, prog.id);
  t.same(runs.map((r) => r.status), ['completed', 'completed']);
  t.equal(runs[0]!.path, 'add_to_list:passed > update_field:passed > wait:passed > add_to_list:passed');
  t.equal((await listMembers(orm, later.id)).length, 2, 'after the wait, the last step ran');
});

t.test('a draft or paused program enters nobody; a trigger within the re-entry window enters once', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const list = em.create(ContactList, { account: account.id, name: 'Entered' });
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const draft = await program(orm, account, eventId, [{ kind: 'add_to_list', list: list.id }], { active: false });
  const once = await program(orm, account, eventId, [{ kind: 'add_to_list', list: list.id }], { reentryMinutes: 60 });
  const always = await program(orm, account, eventId, [{ kind: 'add_to_list', list: list.id }], { reentryMinutes: 0 });
  const ann = await contact(orm, account, '+33612345001');
  const work = runner(orm);

  await trigger(orm, account, eventId, [ann]);
  await trigger(orm, account, eventId, [ann]);
  await work.tick();
  await trigger(orm, account, eventId, [ann]);
  await work.tick();

  t.equal((await runsOf(orm, draft.id)).length, 0, 'the draft entered nobody');
  t.equal((await runsOf(orm, once.id)).length, 1, 'three triggers within the window: entered once');
  t.equal((await runsOf(orm, always.id)).length, 3, 'without a window: entered each time');
  await query(orm, `update automation_run set entered_at = now() - interval '61 minutes' where program_id = ?`, [once.id]);
  await trigger(orm, account, eventId, [ann]);
  await work.tick();
  t.equal((await runsOf(orm, once.id)).length, 2, 'a trigger after the window enters again');
  const pending = await query<{ n: string }>(orm, 'select count(*) as n from event_trigger where account_id = ? and processed_at is null', [account.id]);
  t.equal(Number(pending[0]!.n), 0, 'every trigger was taken up');
});

t.test('pausing holds contacts where they are; resuming lets them go on', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const list = em.create(ContactList, { account: account.id, name: 'Done' });
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'wait', wait_mode: 'for', wait_amount: '5', wait_unit: 'minutes' }, { kind: 'add_to_list', list: list.id }]);
  const ann = await contact(orm, account, '+33612345001');
  const work = runner(orm);
  await trigger(orm, account, eventId, [ann]);
  await work.tick();

  const client = await signedIn(app, owner);
  await client.get(`/automation/programs/${prog.id}`);
  t.equal((await client.post(`/automation/programs/${prog.id}/pause`)).statusCode, 303);
  await endWaits(orm, prog.id);
  await trigger(orm, account, eventId, [await contact(orm, account, '+33612345002')]);
  await work.tick();
  t.same((await runsOf(orm, prog.id)).map((r) => r.status), ['running'], 'paused: the waiting contact stays, the new trigger entered nobody');
  t.same(await listMembers(orm, list.id), []);

  const page = await client.get(`/automation/programs/${prog.id}`);
  t.match(page.body, 'Paused: triggers enter nobody');
  t.match(page.body, '>Resume</button>');
  t.equal((await client.post(`/automation/programs/${prog.id}/activate`)).statusCode, 303);
  await work.tick();
  t.same((await runsOf(orm, prog.id)).map((r) => r.status), ['completed'], 'resumed: it went on');
});

t.test('a change to an active program applies to contacts not yet at the changed step', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const [first, added, moved] = ['First', 'Added later', 'Moved'].map((name) => em.create(ContactList, { account: account.id, name }));
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'add_to_list', list: first!.id }, { kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'hours' }]);
  const ann = await contact(orm, account, '+33612345001');
  const work = runner(orm);
  await trigger(orm, account, eventId, [ann]);
  await work.tick();

  // While Ann waits: a step is added at the end, and the first step's list is changed.
  const client = await signedIn(app, owner);
  await client.get(`/automation/programs/${prog.id}/steps/new?kind=add_to_list`);
  t.equal((await client.post(`/automation/programs/${prog.id}/steps`, { kind: 'add_to_list', list: added!.id })).statusCode, 303);
  const [firstStep] = await query<{ id: string }>(orm, 'select id from automation_step where program_id = ? order by position', [prog.id]);
  await client.get(`/automation/programs/${prog.id}/steps/${firstStep!.id}/edit`);
  t.equal((await client.post(`/automation/programs/${prog.id}/steps/${firstStep!.id}`, { kind: 'add_to_list', list: moved!.id })).statusCode, 303);

  await endWaits(orm, prog.id);
  await work.tick();
  t.equal((await listMembers(orm, added!.id)).length, 1, 'the step added after her position ran');
  t.equal((await listMembers(orm, moved!.id)).length, 0, 'the step she had passed did not run again');
  t.equal((await runsOf(orm, prog.id))[0]!.path, 'add_to_list:passed > wait:passed > add_to_list:passed');
});

t.test('deleting the wait step a contact waits in lets it go on; a disabled step is passed through', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const [skipped, last] = ['Skipped', 'Last'].map((name) => em.create(ContactList, { account: account.id, name }));
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [
    { kind: 'wait', wait_mode: 'for', wait_amount: '3', wait_unit: 'days' },
    { kind: 'add_to_list', list: skipped!.id },
    { kind: 'add_to_list', list: last!.id },
  ]);
  const ann = await contact(orm, account, '+33612345001');
  const work = runner(orm);
  await trigger(orm, account, eventId, [ann]);
  await work.tick();
  const steps = await query<{ id: string }>(orm, 'select id from automation_step where program_id = ? order by position', [prog.id]);

  const client = await signedIn(app, owner);
  const page = await client.get(`/automation/programs/${prog.id}`);
  t.match(page.body, /data-count="waiting">1</, 'the page shows one contact waiting');
  t.equal((await client.post(`/automation/programs/${prog.id}/steps/${steps[1]!.id}/enabled`, { enabled: 'off' })).statusCode, 303);
  const confirm = await client.get(`/automation/programs/${prog.id}/steps/${steps[0]!.id}/delete`);
  t.match(confirm.body, 'the 1 contact waiting in it go on to the next step at once');
  t.equal((await client.post(`/automation/programs/${prog.id}/steps/${steps[0]!.id}/delete`)).statusCode, 303);

  await work.tick();
  t.same(await listMembers(orm, skipped!.id), [], 'the disabled step did nothing');
  t.equal((await listMembers(orm, last!.id)).length, 1, 'the last step ran');
  const [run] = await runsOf(orm, prog.id);
  t.equal(run!.status, 'completed');
  t.equal(run!.path, 'add_to_list:skipped > add_to_list:passed', 'the path shows the pass-through');
  const positions = await query<{ position: number }>(orm, 'select position from automation_step where program_id = ? order by position', [prog.id]);
  t.same(positions.map((p) => p.position), [0, 1], 'the remaining steps are renumbered');
});

t.test('a value the field cannot take fails that step for that contact only, and the run goes on', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em.fork(), account.id);
  em.create(CustomField, { account: account.id, key: 'age', label: 'Age', type: 'number' });
  const list = em.create(ContactList, { account: account.id, name: 'After' });
  await em.flush();
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'update_field', field_key: 'age', field_value: '{{event.age}}' }, { kind: 'add_to_list', list: list.id }]);
  const [ann, bob] = [await contact(orm, account, '+33612345001'), await contact(orm, account, '+33612345002')];
  await trigger(orm, account, eventId, [ann], { age: 'forty' });
  await trigger(orm, account, eventId, [bob], { age: 41 });
  await runner(orm).tick();
  const runs = await runsOf(orm, prog.id);
  t.same(runs.map((r) => r.path), ['update_field:failed > add_to_list:passed', 'update_field:passed > add_to_list:passed']);
  const detail = await query<{ detail: string }>(orm, `select detail from automation_run_step where run_id = ? and outcome = 'failed'`, [runs[0]!.id]);
  t.match(detail[0]!.detail, '"forty" is not a number', 'the reason is kept');
  const ages = await query<{ age: number | null }>(orm, `select (fields->>'age')::numeric as age from contact where account_id = ? order by id`, [account.id]);
  t.same(ages.map((a) => (a.age === null ? null : Number(a.age))), [null, 41]);
});

t.test('the program form refuses what cannot be saved, and activation needs a step', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const eventId = await externalEvent(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/automation/programs/new');
  const empty = await client.post('/automation/programs', { name: ' ', event: '', reentry_minutes: 'soon' });
  t.equal(empty.statusCode, 422);
  t.match(empty.body, fieldError('name', 'Give the program a name.'));
  t.match(empty.body, fieldError('event', 'Choose the external event that starts the program.'));
  t.match(empty.body, fieldError('reentry_minutes', 'Give a whole number of minutes from 0 to 525600 (a year).'));

  const created = await client.post('/automation/programs', { name: 'Welcome', event: eventId, reentry_minutes: '0' });
  t.equal(created.statusCode, 303);
  const id = created.headers.location!.split('/').pop()!;
  await client.get('/automation/programs/new');
  const twice = await client.post('/automation/programs', { name: 'Welcome', event: eventId });
  t.equal(twice.statusCode, 422);
  t.match(twice.body, fieldError('name', 'Another program has this name.'));

  await client.get(`/automation/programs/${id}`);
  const early = await client.post(`/automation/programs/${id}/activate`);
  t.equal(early.statusCode, 409);
  t.match(early.body, 'Add at least one enabled step before activating the program.');

  await client.get(`/automation/programs/${id}/steps/new?kind=wait`);
  const badWait = await client.post(`/automation/programs/${id}/steps`, { kind: 'wait', wait_mode: 'until', wait_until: '25:00' });
  t.equal(badWait.statusCode, 422);
  t.match(badWait.body, fieldError('wait_until', 'Give a time of day as HH:MM (24-hour), for example 09:00.'));
  const badSms = await client.post(`/automation/programs/${id}/steps`, { kind: 'send_sms', campaign: '' });
  t.equal(badSms.statusCode, 422);
  t.match(badSms.body, 'Choose an Automation center campaign');
  const badField = await client.post(`/automation/programs/${id}/steps`, { kind: 'update_field', field_key: 'first_name', field_value: '{{nickname}}' });
  t.match(badField.body, fieldError('field_value', 'Unknown placeholder: {{nickname}}.'));
  t.equal((await client.post(`/automation/programs/${id}/steps`, { kind: 'update_field', field_key: 'first_name', field_value: '{{event.name}}' })).statusCode, 303, 'event data placeholders are allowed');
  t.equal((await client.post(`/automation/programs/${id}/activate`)).statusCode, 303);
  const page = await client.get(`/automation/programs/${id}`);
  t.match(page.body, 'Set first_name to &quot;{{event.name}}&quot;');
  t.match(page.body, /status-active/);
});

t.test('viewers read programs but cannot change them', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'hours' }], { name: 'Nurture' });
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const list = await viewer.get('/automation/programs');
  t.equal(list.statusCode, 200);
  t.match(list.body, 'Nurture');
  t.notMatch(list.body, 'New program');
  const page = await viewer.get(`/automation/programs/${prog.id}`);
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, '>Pause</button>');
  t.equal((await viewer.get(`/automation/programs/${prog.id}/edit`)).statusCode, 403);
  t.equal((await viewer.post(`/automation/programs/${prog.id}/pause`)).statusCode, 403);
});

t.test('an inbound event that a program starts on cannot be deleted; the page names the program', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const number = await addInboundNumber(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/inbound/events/new');
  t.equal((await client.post('/inbound/events', { name: 'Confirm', keywords: 'CONFIRM', type: 'inboundResponder', inbound_number: number.id, reply_text: 'Thanks!' })).statusCode, 303);
  const [event] = await query<{ id: string; external_event_id: string }>(orm, 'select id, external_event_id from inbound_event where account_id = ?', [account.id]);
  await program(orm, account, event!.external_event_id, [{ kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'hours' }], { name: 'Welcome email' });

  const confirm = await client.get(`/inbound/events/${event!.id}/delete`);
  t.match(confirm.body, 'cannot be deleted while automation programs start on it');
  t.match(confirm.body, 'Welcome email');
  t.notMatch(confirm.body, 'Delete the event</button>');
  const refused = await client.post(`/inbound/events/${event!.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'The automation program &quot;Welcome email&quot; starts on this event');
  t.equal((await query(orm, 'select id from inbound_event where id = ?', [event!.id])).length, 1, 'the event is still there');
});

t.test('a Send SMS step queues the automation campaign for the contact, with the event data, and asks for its dispatch', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner, campaign } = await automationCampaign(orm, { body: 'Hi {{first_name|there}}, order {{event.order_id}} is confirmed.' });
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'send_sms', campaign: campaign.id }]);
  const ann = await contact(orm, account, '+33699345001', { firstName: 'Ann' });
  const optedOut = await contact(orm, account, '+33699345002');
  await query(orm, 'update contact set sms_opt_in = false where id = ?', [optedOut.id]);
  await trigger(orm, account, eventId, [ann], { order_id: 'A-17' });
  await trigger(orm, account, eventId, [optedOut], { order_id: 'B-2' });
  const work = runner(orm);
  await work.tick();

  const messages = await query<{ contact_id: string; status: string; skip_reason: string | null; run_id: string; event_data: Record<string, unknown> }>(orm, 'select contact_id, status, skip_reason, run_id, event_data from message where campaign_id = ? order by contact_id', [campaign.id]);
  t.same(messages.map((m) => [String(m.contact_id), m.status, m.skip_reason]), [[String(ann.id), 'queued', null], [String(optedOut.id), 'skipped', 'opted_out']]);
  t.same(messages[0]!.event_data, { order_id: 'A-17' }, 'the event data travels with the message');
  t.same(work.queued, [campaign.id], 'its dispatch was asked for once');
  const runs = await runsOf(orm, prog.id);
  t.same(runs.map((r) => r.path), ['send_sms:passed', 'send_sms:failed'], 'an opted-out contact fails the step, with the reason');
  const detail = await query<{ detail: string }>(orm, `select detail from automation_run_step where run_id = ?`, [runs[1]!.id]);
  t.equal(detail[0]!.detail, 'SMS not sent: the contact opted out of SMS');

  const client = await signedIn(app, owner);
  const page = await client.get(`/automation/programs/${prog.id}`);
  t.match(page.body, /data-count="entered">2</);
  t.match(page.body, /data-count="failed">1</);
  t.match(page.body, 'SMS not sent: the contact opted out of SMS', 'the run shows why');
  const reporting = await client.get('/reporting?type=automated');
  t.match(reporting.body, 'Order shipped', 'the campaign is listed under Reporting → Automated');
});

t.test('a Send email step queues the template for the contact with the event data; a contact without an address fails the step', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const templateId = await template(orm, account, { name: 'Welcome', subject: 'Welcome {{first_name|there}}', textBody: 'Your code is {{event.code}}.' });
  const eventId = await externalEvent(orm, account);
  const prog = await program(orm, account, eventId, [{ kind: 'send_email', email_template: templateId }]);
  const ann = await contact(orm, account, '+33612345001', { firstName: 'Ann', email: 'ann@example.com' });
  const bob = await contact(orm, account, '+33612345002');
  await trigger(orm, account, eventId, [ann], { code: 'X1' });
  await trigger(orm, account, eventId, [bob], { code: 'X2' });
  await runner(orm).tick();

  const emails = await query<{ to_address: string | null; subject: string; text_body: string; status: string; run_id: string }>(orm, 'select to_address, subject, text_body, status, run_id from email_message where account_id = ? order by id', [account.id]);
  t.same(emails.map((e) => [e.to_address, e.subject, e.text_body, e.status]), [['ann@example.com', 'Welcome Ann', 'Your code is X1.', 'queued'], [null, 'Welcome there', 'Your code is X2.', 'skipped']]);
  const runs = await runsOf(orm, prog.id);
  t.same(runs.map((r) => r.path), ['send_email:passed', 'send_email:failed']);
  t.equal(String(emails[0]!.run_id), String(runs[0]!.id), 'the email records the run that sent it');
});

t.test('a list a program adds to, and an automation campaign a program sends, cannot be deleted; the refusal names the program', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner, campaign } = await automationCampaign(orm);
  const em = withAccount(orm.em.fork(), account.id);
  const list = em.create(ContactList, { account: account.id, name: 'Confirmed people' });
  await em.flush();
  const eventId = await externalEvent(orm, account);
  await program(orm, account, eventId, [{ kind: 'add_to_list', list: list.id }, { kind: 'send_sms', campaign: campaign.id }], { name: 'Onboarding' });
  const client = await signedIn(app, owner);

  const listPage = await client.get(`/contacts/lists/${list.id}/delete`);
  t.match(listPage.body, 'This list cannot be deleted: automation program &quot;Onboarding&quot; adds contacts to it.');
  const refusedList = await client.post(`/contacts/lists/${list.id}/delete`);
  t.equal(refusedList.statusCode, 409);
  t.equal((await query(orm, 'select id from contact_list where id = ?', [list.id])).length, 1, 'the list is still there');

  await client.get(`/create/${campaign.id}`);
  const refusedCampaign = await client.post(`/create/${campaign.id}/delete`);
  t.equal(refusedCampaign.statusCode, 409);
  t.match(refusedCampaign.body, 'The automation program &quot;Onboarding&quot; sends this campaign: remove that step first.');
  t.equal((await query(orm, 'select id from campaign where id = ?', [campaign.id])).length, 1, 'the campaign is still there');
});

t.test('two programs updating two fields of one contact in the same round both take effect', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const eventId = await externalEvent(orm, account);
  await program(orm, account, eventId, [{ kind: 'update_field', field_key: 'first_name', field_value: '{{event.first}}' }]);
  await program(orm, account, eventId, [{ kind: 'update_field', field_key: 'last_name', field_value: '{{event.last}}' }]);
  const ann = await contact(orm, account, '+33612345001');
  await trigger(orm, account, eventId, [ann], { first: 'Ann', last: 'Lee' });
  await runner(orm).tick();
  const [row] = await query<{ first_name: string; last_name: string }>(orm, 'select first_name, last_name from contact where id = ?', [ann.id]);
  t.same(row, { first_name: 'Ann', last_name: 'Lee' }, 'neither write was lost');
});
