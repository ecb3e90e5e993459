// The Dashboard's figures, checked against known messages written straight into the message table
// (its triggers keep the usage_daily rollup the page reads): totals, countries, kinds, local
// days in the account's zone (Europe/Paris), refunds, ranges, sorting and the CSV.
import t from 'tap';
import { DateTime } from 'luxon';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { query } from '../sending/helpers.js';
import { campaignOf, localNoon, sent } from './helpers.js';

/** The texts of a table row's cells, found by an attribute (`data-country="FR"`). */
function rowCells(html: string, attribute: string): string[] | null {
  const row = new RegExp(`<tr ${attribute}>([\\s\\S]*?)</tr>`).exec(html);
  if (!row) return null;
  return [...row[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1].replace(/<[^>]+>/g, '').trim());
}

const stat = (html: string, name: string) => /data-stat="([^"]+)">([^<]*)</.exec(html.slice(html.indexOf(`data-stat="${name}"`)))?.[2] ?? null;
const countriesInOrder = (html: string) => [...html.matchAll(/<tr data-country="([^"]+)">/g)].map((m) => m[1]);

async function dashboardSetup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  return { app, orm, account, client: await signedIn(app, owner) };
}

const NOVEMBER = 'range=custom&from=2026-11-01&to=2026-11-30';

t.test('the dashboard totals the range and breaks it down by country, with the price per part', async (t) => {
  const { app, orm, account, client } = await dashboardSetup(t);
  await sent(orm, account, [
    { at: '2026-11-10T09:00:00Z', country: 'FR' },
    { at: '2026-11-10T09:00:00Z', country: 'FR' },
    { at: '2026-11-10T09:00:00Z', country: 'FR' },
    { at: '2026-11-10T09:00:00Z', country: 'FR', parts: 2, cost: 100_000, status: 'undelivered' },
    { at: '2026-11-12T09:00:00Z', country: 'DE', kind: 'automated', cost: 80_000 },
    { at: '2026-11-12T09:00:00Z', country: 'DE', kind: 'automated', cost: 80_000 },
    { at: '2026-11-12T10:00:00Z', country: null, kind: 'transactional', cost: 70_000, status: 'sent' },
    { at: '2026-10-31T09:00:00Z', country: 'FR' }, // the day before the range
  ]);
  const other = await createTenant(orm, 'Other account');
  await sent(orm, other.account, [{ at: '2026-11-10T09:00:00Z', country: 'FR', cost: 9_990_000 }]);

  const page = await client.get(`/dashboard?${NOVEMBER}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, '1 Nov 2026 – 30 Nov 2026', 'the range is named');
  t.equal(stat(page.body, 'messages'), '7');
  t.equal(stat(page.body, 'parts'), '8');
  t.equal(stat(page.body, 'cost'), '€0.48');
  t.equal(stat(page.body, 'delivery-rate'), '71.4 %', '5 delivered out of 7 sent');
  t.match(page.body, 'up to 3 days');
  t.match(page.body, /id="balance"/, 'the credit balance is in the header');

  t.same(rowCells(page.body, 'data-country="FR"'), ['France (FR)', '4', '5', '€0.05', '€0.25'], "France: another account's message is not counted");
  t.same(rowCells(page.body, 'data-country="DE"'), ['Germany (DE)', '2', '2', '€0.08', '€0.16']);
  t.same(rowCells(page.body, 'data-country="unknown"'), ['Unknown', '1', '1', '€0.07', '€0.07']);
  t.same(rowCells(page.body, 'data-country="total"'), ['Total', '7', '8', '€0.06', '€0.48']);

  // Per day and kind: batch, automated, transactional messages, then their cost.
  t.same(rowCells(page.body, 'data-day="2026-11-10"'), ['10-11-2026', '4', '0', '0', '€0.25', '€0.00', '€0.00']);
  t.same(rowCells(page.body, 'data-day="2026-11-12"'), ['12-11-2026', '0', '2', '1', '€0.00', '€0.16', '€0.07']);
  t.same(rowCells(page.body, 'data-day="2026-11-11"'), ['11-11-2026', '0', '0', '0', '€0.00', '€0.00', '€0.00'], 'a day without messages is in the table');
  t.match(page.body, /<figure class="chart" id="chart-messages">[\s\S]*<rect class="chart-batch"[\s\S]*<rect class="chart-automated"[\s\S]*<rect class="chart-transactional"/, 'the chart stacks the three kinds');
  t.match(page.body, 'id="chart-cost"');

  const otherClient = await signedIn(app, other.owner);
  const theirs = await otherClient.get(`/dashboard?${NOVEMBER}`);
  t.equal(stat(theirs.body, 'messages'), '1', 'the other account sees only its own message');
});

t.test("a message sent at 23:30 in the account's zone counts on that local day, not the UTC one", async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  await sent(orm, account, [{ at: '2026-11-30T22:30:00Z' }]); // 23:30 on 30 November in Paris
  await sent(orm, account, [{ at: '2026-11-30T23:30:00Z' }]); // 00:30 on 1 December in Paris, still 30 November in UTC
  const november30 = await client.get('/dashboard?range=custom&from=2026-11-30&to=2026-11-30');
  t.equal(stat(november30.body, 'messages'), '1', 'sent at 23:30 local time: 30 November');
  const december1 = await client.get('/dashboard?range=custom&from=2026-12-01&to=2026-12-01');
  t.equal(stat(december1.body, 'messages'), '1', 'sent at 00:30 local time: 1 December');
  t.ok(rowCells(december1.body, 'data-day="2026-12-01"'));
});

t.test('a message billed before midnight and refunded after it (refused before leaving) counts on no day', async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  const campaignId = await campaignOf(orm, account);
  await query(
    orm,
    `insert into message (account_id, campaign_id, phone, country, status, parts, cost_micros, created_at, claimed_at) values (?, ?, '+33600000001', 'FR', 'sending', 1, 50000, '2026-11-30T22:50:00Z', '2026-11-30T22:50:00Z')`,
    [account.id, campaignId],
  );
  await query(orm, `update message set status = 'failed', error_code = 'rejected', reported_at = '2026-11-30T23:10:00Z' where account_id = ?`, [account.id]);
  await sent(orm, account, [{ at: '2026-11-30T12:00:00Z', country: 'DE' }]);
  const page = await client.get('/dashboard?range=custom&from=2026-11-30&to=2026-12-01');
  t.equal(stat(page.body, 'messages'), '1', 'only the message that left');
  t.equal(stat(page.body, 'cost'), '€0.05');
  t.same(countriesInOrder(page.body), ['DE', 'total']);
});

t.test('presets are days of the account zone up to today; the default is the last 30 days', async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  const today = DateTime.now().setZone('Europe/Paris').startOf('day');
  await sent(orm, account, [{ at: localNoon(0) }, { at: localNoon(3) }, { at: localNoon(20) }, { at: localNoon(45) }]);
  t.equal(stat((await client.get('/dashboard?range=today')).body, 'messages'), '1');
  t.equal(stat((await client.get('/dashboard?range=last7')).body, 'messages'), '2');
  t.equal(stat((await client.get('/dashboard?range=last30')).body, 'messages'), '3');
  const byDefault = await client.get('/dashboard');
  t.equal(stat(byDefault.body, 'messages'), '3');
  t.match(byDefault.body, `${today.minus({ days: 29 }).toFormat('d LLL yyyy')} – ${today.toFormat('d LLL yyyy')}`);
  t.match(byDefault.body, /<option value="last30" selected>Last 30 days<\/option>/, 'the form shows the range chosen');
  const lastMonth = today.minus({ months: 1 });
  t.match((await client.get('/dashboard?range=last_month')).body, `${lastMonth.startOf('month').toFormat('d LLL yyyy')} – ${lastMonth.endOf('month').toFormat('d LLL yyyy')}`);
  const custom = await client.get(`/dashboard?range=custom&from=${today.minus({ days: 45 }).toISODate()}&to=${today.minus({ days: 3 }).toISODate()}`);
  t.equal(stat(custom.body, 'messages'), '3', 'a custom range includes both its days');
  t.match(custom.body, /<option value="custom" selected>/);
});

t.test('a bad custom range says what is wrong, shows the last 30 days instead and keeps what was typed', async (t) => {
  const { client } = await dashboardSetup(t);
  const reversed = await client.get('/dashboard?range=custom&from=2026-11-30&to=2026-11-01');
  t.equal(reversed.statusCode, 400);
  t.match(reversed.body, 'The end day comes before the start day.');
  t.match(reversed.body, /id="range-from" name="from" value="2026-11-30"/);
  t.match(reversed.body, 'No messages were sent in this range.', 'the page is still there, range form included');
  const garbled = await client.get('/dashboard?range=custom&from=yesterday&to=');
  t.equal(garbled.statusCode, 400);
  t.match(garbled.body, 'Choose a start and an end day (YYYY-MM-DD).');
  t.equal((await client.get('/dashboard?range=forever')).statusCode, 400, 'an unknown preset is refused, not a server error');
  t.equal((await client.get('/dashboard?sort=phone')).statusCode, 400);
  const csv = await client.get('/dashboard/countries.csv?range=custom&from=2026-11-30&to=2026-11-01');
  t.equal(csv.statusCode, 400);
  t.match(csv.body, 'The end day comes before the start day.');
});

t.test('a range ending on the last day there is (9999-12-31) draws its days and stops', async (t) => {
  const { client } = await dashboardSetup(t);
  const page = await client.get('/dashboard?range=custom&from=9999-12-01&to=9999-12-31');
  t.equal(page.statusCode, 200);
  t.match(page.body, '1 Dec 9999 – 31 Dec 9999');
  t.match(page.body, 'No messages were sent in this range.');
});

t.test('the breakdown by country sorts by each column, both ways', async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  await sent(orm, account, [
    { at: '2026-11-10T09:00:00Z', country: 'FR', cost: 50_000 },
    { at: '2026-11-10T09:00:00Z', country: 'FR', cost: 50_000 },
    { at: '2026-11-10T09:00:00Z', country: 'FR', cost: 50_000 },
    { at: '2026-11-10T09:00:00Z', country: 'DE', parts: 4, cost: 320_000 },
    { at: '2026-11-10T09:00:00Z', country: 'BE', parts: 2, cost: 60_000 },
    { at: '2026-11-10T09:00:00Z', country: 'BE', parts: 1, cost: 30_000 },
    { at: '2026-11-10T09:00:00Z', country: null, cost: 10_000 },
  ]);
  const order = async (sort: string) => countriesInOrder((await client.get(`/dashboard?${NOVEMBER}&${sort}`)).body).slice(0, -1);
  t.same(await order(''), ['FR', 'BE', 'DE', 'unknown'], 'most messages first by default');
  t.same(await order('sort=country&dir=asc'), ['BE', 'FR', 'DE', 'unknown'], 'Belgium, France, Germany, then Unknown');
  t.same(await order('sort=country&dir=desc'), ['DE', 'FR', 'BE', 'unknown']);
  t.same(await order('sort=parts&dir=desc'), ['DE', 'BE', 'FR', 'unknown']);
  t.same(await order('sort=price&dir=asc'), ['unknown', 'BE', 'FR', 'DE'], '0.01, 0.03, 0.05, 0.08 per part');
  t.same(await order('sort=cost&dir=desc'), ['DE', 'FR', 'BE', 'unknown']);
  t.same(await order('sort=messages&dir=asc'), ['DE', 'unknown', 'BE', 'FR'], 'ties by name');

  const page = (await client.get(`/dashboard?${NOVEMBER}&sort=cost&dir=desc`)).body;
  t.match(page, /<th scope="col" class="num" aria-sort="descending"><a href="\/dashboard\?range=custom&amp;from=2026-11-01&amp;to=2026-11-30&amp;sort=cost&amp;dir=asc"/, 'the sorted column says so and its link reverses it');
  t.match(page, /<th scope="col" class=""><a href="\/dashboard\?range=custom&amp;from=2026-11-01&amp;to=2026-11-30&amp;sort=country&amp;dir=asc"/, 'another column starts A to Z');
  t.match(page, /<input type="hidden" name="sort" value="cost">/, 'changing the range keeps the order');
});

t.test('the breakdown by country downloads as CSV with its range', async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  await sent(orm, account, [
    { at: '2026-11-10T09:00:00Z', country: 'FR', parts: 2, cost: 100_000 },
    { at: '2026-11-11T09:00:00Z', country: 'FR', parts: 1, cost: 50_000 },
    { at: '2026-11-11T09:00:00Z', country: null, parts: 3, cost: 210_000 },
  ]);
  const page = await client.get(`/dashboard?${NOVEMBER}`);
  t.match(page.body, 'href="/dashboard/countries.csv?range=custom&amp;from=2026-11-01&amp;to=2026-11-30&amp;sort=messages&amp;dir=desc"');
  const csv = await client.get(`/dashboard/countries.csv?${NOVEMBER}&sort=country&dir=asc`);
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  t.match(csv.headers['content-disposition'], 'attachment; filename="countries-2026-11-01-to-2026-11-30.csv"');
  t.equal(
    csv.body,
    'from,to,country_code,country,messages,parts,price_per_part,total_cost,currency\r\n' +
      '2026-11-01,2026-11-30,FR,France,2,3,0.05,0.15,EUR\r\n' +
      '2026-11-01,2026-11-30,,Unknown,1,3,0.07,0.21,EUR\r\n',
  );
});

t.test('while the rollups are rebuilt for a new time zone, the dashboard says so', async (t) => {
  const { orm, account, client } = await dashboardSetup(t);
  t.notMatch((await client.get('/dashboard')).body, 'data-field="stale"');
  await query(orm, `insert into rollup_zone (account_id, time_zone) values (?, 'UTC') on conflict (account_id) do update set time_zone = 'UTC'`, [account.id]);
  t.match((await client.get('/dashboard')).body, /data-field="stale">Your time zone changed/);
});

t.test('with htmx, choosing a range swaps the main content only', async (t) => {
  const { client } = await dashboardSetup(t);
  const page = await client.get('/dashboard?range=last7', { 'hx-request': 'true', 'hx-target': 'main#main' });
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, '<html');
  t.match(page.body, /<main id="main"[\s\S]*<form method="get" action="\/dashboard" class="range-form" hx-get="\/dashboard" hx-target="#main"/);
});
