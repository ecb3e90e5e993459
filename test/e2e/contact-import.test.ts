// CSV import in a real browser (Debian's Chromium driven by playwright-core) against the app on a
// real socket: upload a file of 30,000 generated rows through the page, check the guessed mapping,
// choose a list, start, watch the progress bar appear (polled by htmx, no page load) and turn into
// the report, and check the counts and the report download. Then the same flow with JavaScript
// off, where the progress page refreshes itself. No console error or CSP violation on the way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTestApp, createTenant } from '../helper.js';
import { browse, browserTest, signIn } from './browser.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';

const ROWS = 30_000;

declare global {
  interface Window {
    __marker?: number;
  }
}

/** ROWS data rows: valid French mobiles in three spellings, 25 invalid numbers, 10 repeated ones. */
function generate(file: string): void {
  const lines = ['Mobile,First name,Last name,Email'];
  for (let i = 0; i < ROWS; i++) {
    const digits = String(612_000_000 + i);
    let phone = i % 2 ? `+33${digits}` : `0${digits}`;
    if (i % 1000 === 999 && i < 25_000) phone = `12${i}`; // 25 invalid
    if (i >= ROWS - 10) phone = `+33${612_000_000 + i - 5001}`; // 10 repeats of earlier lines
    lines.push(`${phone},First${i},Last${i % 97},user${i}@example.com`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

browserTest('a user imports a CSV file of 30,000 rows in a real browser, with a progress bar and a report', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-import-e2e-'));
    t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const { app, orm } = await buildTestApp(t, { DATA_DIR: dataDir });
    const { owner, account } = await createTenant(orm, 'Browser Import');
    const em = withAccount(orm.em, account.id);
    await em.nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
    const list = em.create(ContactList, { account, name: 'Spring fair' });
    await em.flush();
    const file = path.join(dataDir, 'fair-visitors.csv');
    generate(file);

    const { browser, base, page, context, problems } = await browse(t, app, { acceptDownloads: true, timeoutMs: 10_000 });

    await signIn(page, owner.email);
    // From the Contacts tab to the import page, as a person would.
    await page.locator('nav#tabs').getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/contacts');
    await page.locator('nav.subnav').getByRole('link', { name: 'Import' }).click();
    await page.waitForURL((url) => url.pathname === '/contacts/imports');
    t.equal(await page.locator('main h1').textContent(), 'Import contacts');

    await page.getByLabel('CSV file').setInputFiles(file);
    await Promise.all([page.waitForURL(/\/contacts\/imports\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Upload and map the columns' }).click()]);
    t.equal(await page.locator('main h1').textContent(), 'Map the columns');
    t.match(await page.locator('main').textContent(), /about 30,000 rows/);
    t.equal(await page.locator('#preview tbody tr').count(), 5, 'the first rows are shown');
    t.equal(await page.getByLabel('Import the column “Mobile” as').inputValue(), 'phone', 'the phone column is guessed');
    t.equal(await page.getByLabel('Import the column “First name” as').inputValue(), 'first_name');
    t.equal(await page.getByLabel('Import the column “Email” as').inputValue(), 'email');
    await page.getByLabel('Add every contact of the file to a list').selectOption({ label: 'Spring fair' });

    await Promise.all([page.waitForURL(/\/progress$/), page.getByRole('button', { name: 'Start the import' }).click()]);
    await page.evaluate(() => {
      window.__marker = 1;
    });
    const progress = page.locator('#import-progress');
    const bar = progress.locator('progress');
    const report = page.locator('#import-report');
    t.ok((await bar.count()) === 1 || (await report.count()) === 1, 'the progress bar (or, if that fast, the report) is shown');
    if (await bar.count()) t.pass('the progress bar appeared');
    await report.waitFor({ state: 'visible', timeout: 90_000 });
    t.equal(await page.evaluate(() => window.__marker), 1, 'the progress was polled in place: no page load');
    t.equal(await bar.count(), 0, 'the bar made way for the report');
    const count = async (name: string) => Number((await page.locator(`[data-count="${name}"]`).textContent())!.replace(/,/g, ''));
    t.equal(await count('total'), ROWS);
    t.equal(await count('created'), ROWS - 25 - 10, 'every valid, distinct number was created');
    t.equal(await count('updated'), 0);
    t.equal(await count('skipped'), 10, 'the ten earlier lines of repeated numbers');
    t.equal(await count('invalid'), 25);
    t.equal(await em.fork().count(Contact, {}), ROWS - 35);
    const members = await orm.em.getConnection().execute('select count(*)::int as n from contact_list_member where list_id = ?', [list.id]);
    t.equal(members[0].n, ROWS - 35, 'all of them are in the list');
    t.match(await report.textContent(), 'Spring fair');

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#report-link').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    t.equal(csv[0], 'line,phone,reason');
    t.equal(csv.length, 1 + 35, 'the report lists the invalid and the repeated lines');
    t.match(csv[1], /^1001,12999,"""12999"" is not a valid phone number\."$/);
    t.same(await problems(), [], 'no console error, page error or CSP violation');
    await context.close();

    // Without JavaScript: plain forms and a page that refreshes itself until the report.
    const plain = await browser.newContext({ baseURL: base, javaScriptEnabled: false });
    const noJs = await plain.newPage();
    noJs.setDefaultTimeout(10_000);
    await signIn(noJs, owner.email);
    await noJs.goto('/contacts/imports');
    const small = path.join(dataDir, 'small.csv');
    fs.writeFileSync(small, 'phone;first_name\n+33698000001;Nojs\n+33698000002;Plain\n');
    await noJs.getByLabel('CSV file').setInputFiles(small);
    await Promise.all([noJs.waitForURL(/\/contacts\/imports\/[0-9a-f-]{36}$/), noJs.getByRole('button', { name: 'Upload and map the columns' }).click()]);
    t.equal(await noJs.getByLabel('Import the column “phone” as').inputValue(), 'phone');
    await Promise.all([noJs.waitForURL(/\/progress$/), noJs.getByRole('button', { name: 'Start the import' }).click()]);
    await noJs.locator('#import-report').waitFor({ state: 'visible', timeout: 30_000 });
    t.equal(Number(await noJs.locator('[data-count="created"]').textContent()), 2, 'the report arrives without JavaScript');
    await plain.close();
  });
