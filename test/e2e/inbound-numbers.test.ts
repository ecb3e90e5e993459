// In a real browser: an owner adds an inbound number under Settings (typed in a national form),
// changes its help reply, and sends a campaign from it: step 1 offers it, and step 2 no longer
// warns that French recipients cannot reply STOP. Their content fits a 390 px wide phone screen, and
// no console error or CSP violation happens.
import type { Page } from 'playwright-core';
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../../src/modules/gateways/inbound-number.entity.js';
import { audience } from '../campaigns/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

/** The elements of the page's content (<main>) that reach past the right edge of the window. */
const sticksOut = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth).map((e) => e.outerHTML.slice(0, 80)));

browserTest('an owner adds an inbound number in Settings and sends a campaign from it', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Fromagerie Dupont');
  const em = withAccount(orm.em, account.id);
  await em.nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  await audience(orm, account);
  const { page, problems } = await browse(t, app);

  await signIn(page, owner.email);
  await page.locator('nav#tabs').getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Settings');
  await Promise.all([page.waitForURL('**/settings/inbound-numbers'), page.getByRole('link', { name: 'Inbound numbers' }).click()]);
  t.match(await page.locator('main#main').textContent(), 'No inbound number yet', 'the page opens from Settings, empty');

  await page.getByLabel('Number').fill('06 44 00 00 00');
  t.equal(await page.getByRole('combobox', { name: /Gateway/ }).inputValue(), (await em.findOneOrFail(Gateway, { isDefault: true })).id, 'the default gateway is chosen');
  await Promise.all([page.waitForURL(/\/settings\/inbound-numbers\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Add number' }).click()]);
  t.equal(await page.locator('main#main h1').textContent(), '+33644000000', 'the number is kept in E.164');
  t.match(await page.locator('.lead').textContent(), 'France · arrives through Simulator', 'its country from the number, through the default gateway');
  t.equal(await page.getByLabel('Opt-out keywords').inputValue(), 'STOP, ARRET', "France's opt-out keywords");

  await page.getByRole('textbox', { name: 'Help reply', exact: true }).fill('Fromagerie Dupont: reply STOP to end. Help: 01 23 45 67 89');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor();
  const number = await withAccount(orm.em, account.id).findOneOrFail(InboundNumber, {});
  t.equal(number.helpReply, 'Fromagerie Dupont: reply STOP to end. Help: 01 23 45 67 89', 'the help reply is saved');

  await page.setViewportSize({ width: 390, height: 800 });
  t.same(await sticksOut(page), [], "the number's page fits 390 px");
  await page.goto('/settings/inbound-numbers');
  t.same(await sticksOut(page), [], 'the list fits 390 px');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Step 1 offers the number; step 2 no longer asks for an inbound-number sender.
  await page.goto('/create/new');
  t.same(await page.locator('datalist#inbound-numbers option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)), ['+33644000000'], 'the sender field suggests the inbound number');
  await page.locator('input[name="name"]').fill('Answerable');
  await page.locator('input[name="sender"]').fill('+33644000000');
  await page.locator('textarea[name="body"]').fill('Cheese tasting on Saturday! Reply STOP to opt out');
  await Promise.all([page.waitForURL(/\/create\/[0-9a-f-]{36}\/recipients$/), page.getByRole('button', { name: 'Save and choose recipients →' }).click()]);
  const id = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(pathname(page))![1];
  await page.getByRole('radio', { name: 'Contact list' }).check();
  await page.getByRole('combobox', { name: 'Contact list' }).selectOption({ label: 'Customers' });
  await page.getByRole('button', { name: 'Use these recipients' }).click();
  const reach = page.locator('#reach');
  await reach.waitFor();
  t.match(await reach.textContent(), /3\s+of 5 contacts will receive it\./, 'step 2 shows the reach');
  t.notMatch(await page.locator('main#main').textContent(), 'needs an inbound number as the sender', 'French recipients can reply STOP to it: no warning');
  const campaign = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id }, { populate: ['inboundNumber'] });
  t.equal(campaign.inboundNumber?.number, '+33644000000', 'the campaign is sent from the inbound number');

  t.same(await problems(), [], 'no console error or CSP violation');
});
