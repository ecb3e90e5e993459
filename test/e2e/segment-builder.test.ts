// In a real browser (Debian's Chromium driven by playwright-core): build a segment of three
// conditions in the rule builder, watching the live size follow each change (htmx, no page load),
// save it, and find it in the list with its size. No console error or CSP violation may happen.
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { seedDemoContacts } from '../../src/db/demo-seed.js';
import { buildTestApp, createTenant } from '../helper.js';
import { browse, browserTest, signIn } from './browser.js';


declare global {
  interface Window {
    __marker?: number;
  }
}

browserTest('a marketer builds a segment with a live size in a real browser', async (t) => {
    const { app, orm } = await buildTestApp(t);
    const { owner, account } = await createTenant(orm, 'Segment Browser Bakery');
    const em = withAccount(orm.em, account.id);
    await withClient(em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 600 }));
    const count = (where: string) =>
      withClient(em, async (client) => Number((await client.query(`select count(*) from contact c where c.account_id = $1 and ${where}`, [account.id])).rows[0].count));
    const fr = await count(`c.country = 'FR'`);
    const frOptedIn = await count(`c.country = 'FR' and c.sms_opt_in is distinct from false`);
    const frOptedInPoints = await count(`c.country = 'FR' and c.sms_opt_in is distinct from false and (c.fields ->> 'points')::numeric > 2500`);
    t.ok(fr > frOptedIn && frOptedIn > frOptedInPoints && frOptedInPoints > 0, 'each condition narrows the segment');

    const { page, context, problems } = await browse(t, app, { timeoutMs: 20_000 });

    await signIn(page, owner.email);

    await page.goto('/contacts/segments');
    await Promise.all([page.waitForURL('**/contacts/segments/new'), page.getByRole('button', { name: 'New segment' }).click()]);
    t.equal(await page.locator('main#main h1').textContent(), 'New segment');
    const size = () => page.locator('#segment-count').getAttribute('data-count');
    const sizeBecomes = async (n: number, label: string) => {
      await page.waitForFunction((wanted) => document.querySelector('#segment-count')?.getAttribute('data-count') === String(wanted), n);
      t.equal(await size(), String(n), label);
    };
    t.equal(await size(), '600', 'no condition yet: every contact');
    await page.evaluate(() => {
      window.__marker = 1;
    });

    // Condition 1: country is France. Choosing the field re-renders the row with a country menu.
    await page.getByLabel('Field of condition 1').selectOption('country');
    await page.locator('select[aria-label="Value of condition 1"]').waitFor();
    t.equal(await page.getByLabel('Comparison of condition 1').inputValue(), 'equals');
    await page.locator('select[aria-label="Value of condition 1"]').selectOption('FR');
    await sizeBecomes(fr, 'country is France: the size follows');

    // Condition 2: opted in.
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.getByLabel('Field of condition 2').waitFor();
    t.ok(await page.getByLabel('Field of condition 2').evaluate((el) => el === document.activeElement), 'the new row has the focus');
    await page.getByLabel('Field of condition 2').selectOption('sms_opt_in');
    await page.locator('select[aria-label="Comparison of condition 2"] option[value="is_true"]').waitFor({ state: 'attached' });
    await sizeBecomes(frOptedIn, 'and opted in');

    // Condition 3: points > 2500, typed (the size follows the typing after a short pause).
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.getByLabel('Field of condition 3').selectOption('field:points');
    await page.locator('select[aria-label="Comparison of condition 3"] option[value="greater_than"]').waitFor({ state: 'attached' });
    // Changing the comparison re-renders the rows: wait for the new value input before typing.
    await page.locator('input[aria-label="Value of condition 3"]').evaluate((el) => el.setAttribute('data-before', ''));
    await page.getByLabel('Comparison of condition 3').selectOption('greater_than');
    await page.locator('input[aria-label="Value of condition 3"]:not([data-before])').waitFor();
    await page.locator('input[aria-label="Value of condition 3"]').pressSequentially('2500', { delay: 30 });
    await sizeBecomes(frOptedInPoints, 'and more than 2500 points');
    t.equal(await page.locator('#segment-preview tbody tr').count(), Math.min(10, frOptedInPoints), 'the first contacts are listed');
    t.equal(await page.evaluate(() => window.__marker), 1, 'all of it without a page load');

    // A wrong value is explained in the preview.
    await page.locator('input[aria-label="Value of condition 3"]').fill('lots');
    await page.locator('#segment-preview').getByText('Condition 3: Points: "lots" is not a number.').waitFor();
    await page.locator('input[aria-label="Value of condition 3"]').fill('2500');
    await sizeBecomes(frOptedInPoints, 'fixed again');

    // Save, and find it in the list with its size.
    await page.getByLabel('Name', { exact: true }).fill('Loyal French customers');
    await Promise.all([page.waitForURL((url) => url.pathname === '/contacts/segments'), page.getByRole('button', { name: 'Save segment' }).click()]);
    const row = page.locator('#segments tr', { hasText: 'Loyal French customers' });
    await row.waitFor();
    await row.locator('.segment-count').waitFor();
    t.equal(await row.locator('.segment-count').textContent(), frOptedInPoints.toLocaleString('en'), 'the list shows the size');

    // Back in the builder, the rules are as saved.
    await row.getByRole('link', { name: 'Loyal French customers' }).click();
    await page.waitForURL('**/contacts/segments/*');
    t.equal(await page.locator('select[aria-label="Value of condition 1"]').inputValue(), 'FR');
    t.equal(await page.getByLabel('Field of condition 2').inputValue(), 'sms_opt_in');
    t.equal(await page.locator('input[aria-label="Value of condition 3"]').inputValue(), '2500');
    t.equal(await size(), String(frOptedInPoints));

    t.same(await problems(), [], 'no console error, page error or CSP violation');
    await context.close();
  });
