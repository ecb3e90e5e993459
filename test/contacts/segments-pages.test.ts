// The segment pages: list, builder, the htmx fragments (rows, preview, count), create and update
// with their 422s, the row buttons without JavaScript, delete with its confirmation, and roles.
import t from 'tap';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { seedDemoContacts } from '../../src/db/demo-seed.js';
import { Segment } from '../../src/modules/contacts/segment.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { addUser, buildTestApp, createTenant, signedIn } from '../helper.js';

const row = (g: number, c: number, field: string, operator: string, value = '') => ({
  [`groups[${g}][combinator]`]: 'and',
  [`groups[${g}][conditions][${c}][field]`]: field,
  [`groups[${g}][conditions][${c}][was]`]: field,
  [`groups[${g}][conditions][${c}][operator]`]: operator,
  [`groups[${g}][conditions][${c}][value]`]: value,
});
const HX = { 'hx-request': 'true', 'hx-target': 'div#segment-rules' };

t.test('building, previewing, saving, editing and deleting a segment', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Segment Bakery');
  const em = withAccount(orm.em, account.id);
  await withClient(em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 300 }));
  const count = (sql: string) => withClient(em, async (client) => Number((await client.query(`select count(*) from contact c where c.account_id = $1 and ${sql}`, [account.id])).rows[0].count));
  const frOptedIn = await count(`c.country = 'FR' and c.sms_opt_in is distinct from false`);
  const client = await signedIn(app, owner);

  let page = await client.get('/contacts/segments');
  t.equal(page.statusCode, 200);
  t.match(page.body, /There are no segments yet/);
  t.match(page.body, /href="\/contacts\/segments\/new"/);

  page = await client.get('/contacts/segments/new');
  t.equal(page.statusCode, 200);
  t.match(page.body, /<h1>New segment<\/h1>/);
  t.match(page.body, /<optgroup label="Custom fields">[\s\S]*value="field:points"/, 'custom fields can be chosen');
  t.match(page.body, /hx-post="\/contacts\/segments\/preview"/);
  t.match(page.body, /id="segment-count" data-count="300"/, 'the preview of no condition is every contact');

  // Choosing a field re-renders the row with that field's operators and value input (htmx).
  let rows = await client.post('/contacts/segments/rows', { ...row(0, 0, 'country', ''), 'groups[0][conditions][0][was]': '' }, HX);
  t.equal(rows.statusCode, 200);
  t.match(rows.body, /^\s*<div id="segment-rules">/);
  t.match(rows.body, /<option value="equals" selected>is<\/option>/, 'the first operator of the field');
  t.match(rows.body, /<option value="">Choose a country…<\/option>/, 'a country menu for the value');
  t.match(rows.body, /<section id="segment-preview"[^>]*hx-swap-oob="true"/, 'the preview comes along out of band');
  rows = await client.post('/contacts/segments/rows', { ...row(0, 0, 'country', 'equals', 'FR'), op: 'add:0' }, HX);
  t.match(rows.body, /groups\[0\]\[conditions\]\[1\]\[field\]"[^>]*autofocus/, 'a new row, focused');
  rows = await client.post('/contacts/segments/rows', { ...row(0, 0, 'country', 'equals', 'FR'), ...row(0, 1, 'sms_opt_in', 'is_true'), op: 'add-group' }, HX);
  t.match(rows.body, /Group 2: contacts that match/, 'a second group');
  t.match(rows.body, /name="combinator"/, 'with the choice of how groups combine');
  rows = await client.post('/contacts/segments/rows', { ...row(0, 0, 'country', 'equals', 'FR'), ...row(0, 1, 'sms_opt_in', 'is_true'), op: 'remove:0:0' }, HX);
  t.notMatch(rows.body, /groups\[0\]\[conditions\]\[1\]/, 'a row removed');
  t.match(rows.body, /<option value="sms_opt_in" selected>/);
  rows = await client.post('/contacts/segments/rows', { ...row(0, 0, 'field:points', 'equals', 'FR'), 'groups[0][conditions][0][was]': 'country' }, HX);
  t.match(rows.body, /name="groups\[0\]\[conditions\]\[0\]\[value\]" value=""/, 'a new field starts with no value');

  // The live preview.
  let preview = await client.post('/contacts/segments/preview', { ...row(0, 0, 'country', 'equals', 'FR'), ...row(0, 1, 'sms_opt_in', 'is_true') }, { 'hx-request': 'true', 'hx-target': 'section#segment-preview' });
  t.equal(preview.statusCode, 200);
  t.match(preview.body, new RegExp(`id="segment-count" data-count="${frOptedIn}"`), 'the size of the rules in the form');
  t.equal((preview.body.match(/<tr>/g) ?? []).length, Math.min(10, frOptedIn) + 1, 'and the first contacts');
  preview = await client.post('/contacts/segments/preview', { ...row(0, 0, 'country', 'equals', 'FR'), ...row(0, 1, 'field:points', 'greater_than', 'many') });
  t.match(preview.body, /Condition 2: Points: &quot;many&quot; is not a number\./, 'a wrong value is explained, numbered as on screen');
  preview = await client.post('/contacts/segments/preview', { ...row(0, 0, '', ''), ...row(0, 1, 'country', 'equals', 'FR') });
  t.match(preview.body, new RegExp(`data-count="${await count(`c.country = 'FR'`)}"`), 'a row without a field is left out');

  // Saving: 422s, then success.
  let saved = await client.post('/contacts/segments', { name: '', ...row(0, 0, 'country', 'equals', 'FR') });
  t.equal(saved.statusCode, 422);
  t.match(saved.body, /Give the segment a name/);
  t.match(saved.body, /<option value="FR" selected>/, 'the form keeps what was typed');
  saved = await client.post('/contacts/segments', { name: 'French', ...row(0, 0, 'field:gone', 'equals', 'x'), ...row(0, 1, 'field:tier', 'equals', '') });
  t.equal(saved.statusCode, 422);
  t.match(saved.body, /id="condition-0-0-error">There is no custom field &quot;gone&quot; \(it may have been deleted\)/, 'an unknown field, on its row');
  t.match(saved.body, /id="condition-0-1-error">Enter a value for Tier/);
  saved = await client.post('/contacts/segments', { name: 'Nothing', ...row(0, 0, '', '') });
  t.equal(saved.statusCode, 422);
  t.match(saved.body, /Add at least one condition/);
  t.equal(await em.fork().count(Segment, {}), 0, 'nothing saved');

  // Without JavaScript, a row button posts the form to the page, which re-renders it.
  const noJs = await client.post('/contacts/segments', { name: 'French', ...row(0, 0, 'country', 'equals', 'FR'), op: 'add:0' });
  t.equal(noJs.statusCode, 200);
  t.match(noJs.body, /groups\[0\]\[conditions\]\[1\]\[field\]/);
  t.match(noJs.body, /value="French"/);
  t.equal(await em.fork().count(Segment, {}), 0, 'a row button saves nothing');

  saved = await client.post('/contacts/segments', { name: '  French   opted in ', ...row(0, 0, 'country', 'equals', 'FR'), ...row(0, 1, 'sms_opt_in', 'is_true') });
  t.equal(saved.statusCode, 303);
  t.equal(saved.headers.location, '/contacts/segments');
  const segment = await em.fork().findOneOrFail(Segment, { name: 'French opted in' });
  t.same(segment.rules, { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }, { field: 'sms_opt_in', operator: 'is_true' }] }, 'one group is stored as a plain list');

  const duplicate = await client.post('/contacts/segments', { name: 'French opted in', ...row(0, 0, 'country', 'equals', 'DE') });
  t.equal(duplicate.statusCode, 422);
  t.match(duplicate.body, /There is already a segment named &quot;French opted in&quot;/);

  page = await client.get('/contacts/segments');
  t.match(page.body, /French opted in/);
  t.match(page.body, new RegExp(`hx-get="/contacts/segments/${segment.id}/count"`));
  const size = await client.get(`/contacts/segments/${segment.id}/count`, { 'hx-request': 'true' });
  t.match(size.body, new RegExp(`>${frOptedIn.toLocaleString('en')}</span>`), 'the size, on demand');

  page = await client.get(`/contacts/segments/${segment.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, /<option value="FR" selected>/);
  t.match(page.body, new RegExp(`data-count="${frOptedIn}"`));

  // Update, with two groups: (FR and opted in) or (DE).
  const updated = await client.post(`/contacts/segments/${segment.id}`, {
    name: 'French opted in',
    combinator: 'or',
    ...row(0, 0, 'country', 'equals', 'FR'),
    ...row(0, 1, 'sms_opt_in', 'is_true'),
    ...row(1, 0, 'country', 'equals', 'DE'),
  });
  t.equal(updated.statusCode, 303);
  const reloaded = await em.fork().findOneOrFail(Segment, { id: segment.id });
  t.equal(reloaded.rules.combinator, 'or');
  t.equal(reloaded.rules.conditions.length, 2, 'two groups, nested');
  const sizeAfter = await client.get(`/contacts/segments/${segment.id}/count`);
  t.match(sizeAfter.body, new RegExp(`>${(frOptedIn + (await count(`c.country = 'DE'`))).toLocaleString('en')}</span>`));

  // A field deleted later: the segment says so instead of failing.
  await withClient(em, (client) => client.query(`delete from custom_field where account_id = $1 and key = 'tier'`, [account.id]));
  const broken = await client.post(`/contacts/segments/${segment.id}`, { name: 'French opted in', ...row(0, 0, 'field:tier', 'equals', 'gold') });
  t.equal(broken.statusCode, 422);
  t.match(broken.body, /tier \(no such field\)/, 'the row shows the missing field');

  // Delete, with a confirmation step that needs no JavaScript.
  const confirm = await client.get(`/contacts/segments/${segment.id}/delete`);
  t.equal(confirm.statusCode, 200);
  t.match(confirm.body, new RegExp(`<form method="post" action="/contacts/segments/${segment.id}/delete">`));
  const deleted = await client.post(`/contacts/segments/${segment.id}/delete`);
  t.equal(deleted.statusCode, 303);
  t.equal(await em.fork().count(Segment, {}), 0);
  t.equal((await client.get(`/contacts/segments/${segment.id}`)).statusCode, 404);
  t.equal((await client.get('/contacts/segments/not-an-id')).statusCode, 404);
});

t.test('viewers look and preview; marketers and owners save', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Roles Ltd');
  const em = withAccount(orm.em, account.id);
  const segment = em.create(Segment, { account: account.id, name: 'Everyone in FR', rules: { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }] } });
  await em.flush();
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));

  const list = await viewer.get('/contacts/segments');
  t.equal(list.statusCode, 200);
  t.notMatch(list.body, /New segment/, 'no New button for a viewer');
  const builder = await viewer.get(`/contacts/segments/${segment.id}`);
  t.equal(builder.statusCode, 200);
  t.match(builder.body, /<button type="submit" disabled>Save segment<\/button>/);
  t.equal((await viewer.post('/contacts/segments/preview', row(0, 0, 'country', 'equals', 'DE'))).statusCode, 200, 'a viewer can preview');
  t.equal((await viewer.post('/contacts/segments/rows', { ...row(0, 0, 'country', 'equals', 'DE'), op: 'add:0' })).statusCode, 200, 'and try rows');
  t.equal((await viewer.post('/contacts/segments', { name: 'Mine', ...row(0, 0, 'country', 'equals', 'DE') })).statusCode, 403, 'but not save');
  t.equal((await viewer.post(`/contacts/segments/${segment.id}/delete`)).statusCode, 403, 'nor delete');
  t.equal((await marketer.post('/contacts/segments', { name: 'Mine', ...row(0, 0, 'country', 'equals', 'DE') })).statusCode, 303, 'a marketer saves');
  t.equal((await marketer.post(`/contacts/segments/${segment.id}/delete`)).statusCode, 303, 'and deletes');
});

t.test('a segment that a campaign sends to cannot be deleted', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Campaign Users');
  const em = withAccount(orm.em, account.id);
  const segment = em.create(Segment, { account: account.id, name: 'In use', rules: { combinator: 'and', conditions: [{ field: 'sms_opt_in', operator: 'is_true' }] } });
  em.create(Campaign, { account: account.id, name: 'Spring sale', sender: 'ACME', body: 'Hi', createdBy: 'test', recipientSource: 'segment', segment });
  await em.flush();
  const client = await signedIn(app, owner);
  const confirm = await client.get(`/contacts/segments/${segment.id}/delete`);
  t.match(confirm.body, /cannot be deleted: it is the recipient source of Spring sale/);
  t.notMatch(confirm.body, /Delete the segment<\/button>/, 'no delete button');
  const refused = await client.post(`/contacts/segments/${segment.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.equal(await em.fork().count(Segment, { id: segment.id }), 1, 'the segment stays');
});

t.test('a forged builder form with 21 groups of 50 conditions shows the first 50 and the limit, and saves nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/contacts/segments/new');
  const form: Record<string, string> = { name: 'Huge' };
  for (let g = 0; g < 21; g++) for (let c = 0; c < 50; c++) Object.assign(form, row(g, c, 'country', 'equals', 'FR'));
  const limit = 'A segment can have at most 50 conditions in at most 20 groups; this form had 1,050 in 21. Only the first 50 conditions are shown.';

  const saved = await client.post('/contacts/segments', form);
  t.equal(saved.statusCode, 422, 'the builder again');
  t.match(saved.body, limit, 'saying what the limit is and what was sent');
  t.equal((saved.body.match(/\[conditions\]\[\d+\]\[field\]"/g) ?? []).length, 50, 'with the first 50 rows only');
  t.ok(saved.body.length < 2_000_000, `a page of a reasonable size (${saved.body.length} bytes)`);
  t.equal(await withAccount(orm.em.fork(), account.id).count(Segment, {}), 0, 'nothing saved');

  const rows = await client.post('/contacts/segments/rows', form, HX);
  t.equal(rows.statusCode, 200);
  t.equal((rows.body.match(/\[conditions\]\[\d+\]\[field\]"/g) ?? []).length, 50, 'the htmx rows are capped the same way');
  t.match(rows.body, 'A segment can have at most 50 conditions', 'and the preview says why it shows no count');
});
