// The Reporting list: launched campaigns (or, toggled, automated ones) with figures summed from the
// campaign rollup, checked against messages written straight into the message table (its
// triggers keep the rollup); sorting by each column, paging, search, CSV, roles and tenants; and
// what may still be edited once a campaign has launched (its name, its unsubscribe page text).
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createTenant, fieldError, signedIn } from '../helper.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { query } from '../sending/helpers.js';
import { campaignWith, times } from './list-helpers.js';

/** The rows of the list as a person reads them. */
function rowsOf(body: string) {
  const rows = [...body.matchAll(/<tr data-id="([^"]+)">([\s\S]*?)<\/tr>/g)];
  return rows.map(([, id, html]) => {
    const field = (name: string) => new RegExp(`data-field="${name}">([^<]*)<`).exec(html!)?.[1]?.trim();
    return {
      id,
      name: /<a href="\/reporting\/[^"]+">([^<]*)<\/a>/.exec(html!)?.[1],
      launched: field('launched'),
      recipients: field('recipients'),
      sent: field('sent'),
      delivered: field('delivered'),
      rate: field('rate'),
      cost: field('cost'),
    };
  });
}
const namesOf = (body: string) => rowsOf(body).map((row) => row.name);

/** Three launched campaigns whose every column orders them differently. */
async function threeCampaigns(orm: MikroORM, account: Account) {
  const alpha = await campaignWith(orm, account, 'Alpha', '2026-11-03T09:00:00Z', times(2, { status: 'delivered' }));
  const bravo = await campaignWith(orm, account, 'bravo', '2026-11-01T09:00:00Z', [{ status: 'delivered' }, ...times(4, { status: 'undelivered' }), { status: 'skipped' }]);
  const charlie = await campaignWith(orm, account, 'Charlie', '2026-11-02T09:00:00Z', [...times(3, { status: 'delivered', cost: 100_000 }), { status: 'undelivered', cost: 100_000 }]);
  return { alpha, bravo, charlie };
}

t.test('each launched campaign shows its recipients, sent, delivered, delivery rate and cost, from its messages', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const spring = await campaignWith(orm, account, 'Spring sale', '2026-11-30T22:30:00Z', [
    ...times(3, { status: 'delivered' }),
    { status: 'undelivered' },
    { status: 'skipped' },
    { status: 'failed' }, // refused before it left: refunded, not sent
    { status: 'delivered', isTest: true }, // a test send is no recipient
  ]);
  const quiet = await campaignWith(orm, account, 'Nobody reached', '2026-11-29T10:00:00Z', [{ status: 'skipped' }]);
  const client = await signedIn(app, owner);

  const page = await client.get('/reporting');
  t.equal(page.statusCode, 200);
  t.same(rowsOf(page.body), [
    { id: spring.id, name: 'Spring sale', launched: '30-11-2026 23:30', recipients: '6', sent: '4', delivered: '3', rate: '75.0%', cost: '€0.20' },
    { id: quiet.id, name: 'Nobody reached', launched: '29-11-2026 11:00', recipients: '1', sent: '0', delivered: '0', rate: '—', cost: '€0.00' },
  ], 'times in the account’s zone (Paris); a campaign that sent nothing has no rate');
  t.match(page.body, `<a href="/reporting/${spring.id}">Report</a>`, 'each row links to its report');
  t.match(page.body, `<a href="/create/${spring.id}/edit">Edit</a>`);
  t.match(page.body, `action="/create/${spring.id}/copy"`);
});

t.test('the list sorts by each column, both ways, with header links that say the order', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  await threeCampaigns(orm, account);
  const client = await signedIn(app, owner);

  t.same(namesOf((await client.get('/reporting')).body), ['Alpha', 'Charlie', 'bravo'], 'latest launched first by default');
  const expected: Record<string, string[]> = {
    name: ['Alpha', 'bravo', 'Charlie'],
    launched: ['Alpha', 'Charlie', 'bravo'],
    recipients: ['bravo', 'Charlie', 'Alpha'],
    sent: ['bravo', 'Charlie', 'Alpha'],
    delivered: ['Charlie', 'Alpha', 'bravo'],
    rate: ['Alpha', 'Charlie', 'bravo'],
    cost: ['Charlie', 'bravo', 'Alpha'],
  };
  for (const [sort, order] of Object.entries(expected)) {
    const first = sort === 'name' ? 'asc' : 'desc';
    const other = first === 'asc' ? 'desc' : 'asc';
    const body = (await client.get(`/reporting?sort=${sort}&dir=${first}`)).body;
    t.same(namesOf(body), order, `by ${sort}, ${first}`);
    t.same(namesOf((await client.get(`/reporting?sort=${sort}&dir=${other}`)).body), [...order].reverse(), `by ${sort}, ${other}`);
    t.match(body, new RegExp(`<th[^>]* aria-sort="${first === 'asc' ? 'ascending' : 'descending'}"><a href="/reporting\\?sort=${sort}&amp;dir=${other}"`), `the ${sort} header says the order and links to the other`);
  }
  const byName = (await client.get('/reporting')).body;
  t.match(byName, '<a href="/reporting?sort=name&amp;dir=asc"', 'another column’s header sorts names from A');
  t.match(byName, '<a href="/reporting?sort=cost&amp;dir=desc"', '… and figures from the largest');
  t.equal((await client.get('/reporting?sort=figure')).statusCode, 400, 'an unknown column is refused');
});

t.test('the list shows 25 campaigns a page, in the chosen order, with a pager (also for htmx)', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  for (let i = 1; i <= 30; i++) {
    // Launched in an order unrelated to their names.
    await campaignWith(orm, account, `Campaign ${String(i).padStart(2, '0')}`, new Date(Date.UTC(2026, 10, 1, (i * 7) % 30)).toISOString(), []);
  }
  const client = await signedIn(app, owner);
  const first = await client.get('/reporting?sort=name&dir=asc');
  const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `Campaign ${String(from + i).padStart(2, '0')}`);
  t.same(namesOf(first.body), names(1, 25));
  const more = /<a href="(\/reporting\?sort=name&amp;dir=asc&amp;after=[^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
  t.ok(more, 'a link to the next page, keeping the sort');
  const second = await client.get(more!);
  t.same(namesOf(second.body), names(26, 30));
  t.notMatch(second.body, 'after=', 'the last page has no next one');
  t.match(second.body, '← First');

  const fragment = await client.get(more!, { 'hx-request': 'true', 'hx-target': 'section#campaign-list' });
  t.match(fragment.body.trim(), /^<section id="campaign-list"/, 'htmx gets the list alone');
  t.same(namesOf(fragment.body), names(26, 30));
  t.notMatch(fragment.body, '<html');

  for (const after of ['not-an-id', '00000000-0000-4000-8000-000000000000']) {
    const unknown = await client.get(`/reporting?sort=name&dir=asc&after=${after}`);
    t.equal(unknown.statusCode, 200, `after=${after} is no error`);
    t.match(unknown.body, 'There are no more campaigns.');
  }
});

t.test('search finds campaigns by a part of their name, keeping the sort; % is a plain character', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  await threeCampaigns(orm, account);
  await campaignWith(orm, account, '50% off', '2026-11-04T09:00:00Z', []);
  const client = await signedIn(app, owner);
  t.same(namesOf((await client.get('/reporting?q=ALP')).body), ['Alpha']);
  t.same(namesOf((await client.get('/reporting?q=a&sort=cost&dir=desc')).body), ['Charlie', 'bravo', 'Alpha']);
  t.same(namesOf((await client.get('/reporting?q=%25')).body), ['50% off']);
  const none = await client.get('/reporting?q=Winter');
  t.match(none.body, 'No launched campaign matches “Winter”.');
  t.match(none.body, '<input type="hidden" name="sort" value="launched">', 'a new search keeps the sort');
});

t.test('the CSV export has every campaign of the list, in its order, with its figures', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  await threeCampaigns(orm, account);
  const client = await signedIn(app, owner);
  const page = await client.get('/reporting?sort=cost&dir=desc');
  t.match(page.body, 'href="/reporting/export?sort=cost&amp;dir=desc"', 'the export link keeps the list’s sort');
  const csv = await client.get('/reporting/export?sort=cost&dir=desc');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  t.match(csv.headers['content-disposition'], /attachment; filename="campaigns-\d{4}-\d{2}-\d{2}\.csv"/);
  t.same(csv.body.trim().split(/\r?\n/), [
    'name,status,launched_at,recipients,sent,delivered,delivery_rate,cost,currency',
    'Charlie,sent,2026-11-02T10:00:00+01:00,4,4,3,0.7500,0.400000,EUR',
    'bravo,sent,2026-11-01T10:00:00+01:00,6,5,1,0.2000,0.250000,EUR',
    'Alpha,sent,2026-11-03T10:00:00+01:00,2,2,2,1.0000,0.100000,EUR',
  ]);
  const searched = await client.get('/reporting/export?q=brav');
  t.equal(searched.body.trim().split(/\r?\n/).length, 2, 'the search applies too');
});

t.test('Automated shows automation campaigns with figures and the hour of their latest send; Batch never lists them', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const batch = await campaignWith(orm, account, 'Spring sale', '2026-11-03T09:00:00Z', [{ status: 'delivered' }]);
  const shipped = await campaignWith(orm, account, 'Order shipped', null, [
    { status: 'delivered', at: '2026-11-20T08:10:00Z' },
    { status: 'undelivered', at: '2026-11-30T22:45:00Z' }, // 23:45 in Paris
    { status: 'skipped' },
  ], 'automation');
  const idle = await campaignWith(orm, account, 'Welcome', null, [], 'automation');
  const client = await signedIn(app, owner);

  const automated = await client.get('/reporting?type=automated');
  t.same(rowsOf(automated.body), [
    { id: shipped.id, name: 'Order shipped', launched: '30-11-2026 23:00', recipients: '3', sent: '2', delivered: '1', rate: '50.0%', cost: '€0.10' },
    { id: idle.id, name: 'Welcome', launched: '—', recipients: '0', sent: '0', delivered: '0', rate: '—', cost: '€0.00' },
  ]);
  t.match(automated.body, 'Last sent (hour)');
  t.match(automated.body, 'href="/reporting?type=automated&amp;sort=name&amp;dir=asc"', 'sorting keeps the toggle');
  t.same(namesOf((await client.get('/reporting?type=automated&sort=name&dir=desc')).body), ['Welcome', 'Order shipped']);
  t.same(rowsOf((await client.get('/reporting')).body).map((row) => row.id), [batch.id], 'Batch lists the launched batch campaign only');
  const csv = await client.get('/reporting/export?type=automated');
  t.match(csv.headers['content-disposition'], 'automated-campaigns-');
  t.same(csv.body.trim().split(/\r?\n/).slice(0, 2), ['name,status,last_sent_hour,recipients,sent,delivered,delivery_rate,cost,currency', 'Order shipped,draft,2026-11-30T23:00:00+01:00,3,2,1,0.5000,0.100000,EUR']);
});

t.test('a viewer sees the reports but no Edit or Copy; another account’s campaigns are never listed nor exported', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const mine = await campaignWith(orm, account, 'Spring sale', '2026-11-03T09:00:00Z', [{ status: 'delivered' }]);
  const other = await createTenant(orm, 'Other shop');
  await campaignWith(orm, other.account, 'Their secret sale', '2026-11-04T09:00:00Z', [{ status: 'delivered' }]);
  await campaignWith(orm, other.account, 'Their automation', null, [{ status: 'delivered', at: '2026-11-04T09:00:00Z' }], 'automation');
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));

  const page = await viewer.get('/reporting');
  t.same(namesOf(page.body), ['Spring sale']);
  t.match(page.body, `<a href="/reporting/${mine.id}">Report</a>`);
  t.notMatch(page.body, '/edit"', 'no Edit');
  t.notMatch(page.body, '/copy"', 'no Copy');
  t.same(namesOf((await viewer.get('/reporting?type=automated')).body), []);
  const csv = (await viewer.get('/reporting/export')).body;
  t.match(csv, 'Spring sale');
  t.notMatch(csv, 'Their');
  t.notMatch((await viewer.get('/reporting/export?type=automated')).body, 'Their');
});

t.test('a launched campaign’s edit form has only its name and unsubscribe page text, and says why', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignWith(orm, account, 'Spring sale', '2026-11-03T09:00:00Z', [{ status: 'delivered' }]);
  const client = await signedIn(app, owner);

  const page = (await client.get(`/create/${campaign.id}`)).body;
  t.match(page, `<a href="/create/${campaign.id}/edit" role="button" class="secondary">Edit name and unsubscribe page</a>`, 'the campaign page leads to what may still change');
  t.match(page, `<a href="/reporting/${campaign.id}" role="button" class="secondary outline" data-action="report">Report</a>`, 'and to its report');

  const form = await client.get(`/create/${campaign.id}/edit`);
  t.equal(form.statusCode, 200);
  const editForm = new RegExp(`<form method="post" action="/create/${campaign.id}/edit">[\\s\\S]*?</form>`).exec(form.body)?.[0] ?? '';
  t.same([...editForm.matchAll(/<(?:input|textarea|select)[^>]* name="([^"]+)"/g)].map((m) => m[1]), ['_csrf', 'name', 'unsubscribe_page_text']);
  t.match(form.body, 'Its first message has been sent: its text, sender and recipients are what its recipients received, and no longer change.');
  t.match(form.body, 'Spring sale today! STOP to opt out', 'the sent message is shown, not editable');

  const saved = await client.post(`/create/${campaign.id}/edit`, { name: '  Spring sale (FR)  ', unsubscribe_page_text: 'ACME Shop, 12 rue de la Paix.\r\nQuestions? hello@acme.test' });
  t.equal(saved.statusCode, 303);
  t.equal(saved.headers.location, `/create/${campaign.id}`);
  const [row] = await query<{ name: string; body: string; sender: string; unsubscribe_page_text: string }>(orm, 'select name, body, sender, unsubscribe_page_text from campaign where id = ?', [campaign.id]);
  t.same(row, { name: 'Spring sale (FR)', body: 'Spring sale today! STOP to opt out', sender: 'ACME', unsubscribe_page_text: 'ACME Shop, 12 rue de la Paix.\nQuestions? hello@acme.test' });
  t.same(namesOf((await client.get('/reporting')).body), ['Spring sale (FR)'], 'the list shows the new name');

  const [{ token }] = await query<{ token: string }>(orm, 'select token from message where campaign_id = ?', [campaign.id]);
  const landing = await app.inject({ method: 'GET', url: `/u/${token}` });
  t.match(landing.body, '<p class="pre-line" data-field="landing-text">ACME Shop, 12 rue de la Paix.\nQuestions? hello@acme.test</p>', 'recipients read it on the unsubscribe page');
  t.ok(landing.body.indexOf('data-field="landing-text"') < landing.body.indexOf(`<form method="post" action="/u/${token}">`), 'above the Unsubscribe button');
});

t.test('editing a launched campaign refuses a bad name (422) and a forged message field (409), saving nothing', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignWith(orm, account, 'Spring sale', '2026-11-03T09:00:00Z', [{ status: 'delivered' }]);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/edit`);

  const blank = await client.post(`/create/${campaign.id}/edit`, { name: '   ', unsubscribe_page_text: 'Kept as typed' });
  t.equal(blank.statusCode, 422);
  t.match(blank.body, fieldError('name', 'Give the campaign a name.'));
  t.match(blank.body, '>Kept as typed</textarea>', 'the form keeps what was typed');
  t.notMatch(blank.body, 'name="body"', 'still only the fields that may change');
  const long = await client.post(`/create/${campaign.id}/edit`, { name: 'x'.repeat(101) });
  t.equal(long.statusCode, 422);
  t.match(long.body, fieldError('name', 'A campaign name can have at most 100 characters.'));
  const tooMuch = await client.post(`/create/${campaign.id}/edit`, { name: 'Fine', unsubscribe_page_text: 'y'.repeat(1001) });
  t.equal(tooMuch.statusCode, 422);
  t.match(tooMuch.body, fieldError('unsubscribe_page_text', 'The landing page text can have at most 1,000 characters.'));

  const forged = await client.post(`/create/${campaign.id}/edit`, { name: 'Renamed', body: 'Something else entirely' });
  t.equal(forged.statusCode, 409, 'a message field is refused, not silently dropped');
  t.match(forged.body, 'only its name and its unsubscribe landing page text can change, and nothing was saved');
  const [row] = await query<{ name: string; body: string; unsubscribe_page_text: string | null }>(orm, 'select name, body, unsubscribe_page_text from campaign where id = ?', [campaign.id]);
  t.same(row, { name: 'Spring sale', body: 'Spring sale today! STOP to opt out', unsubscribe_page_text: null });
});
