// In a real browser the size of a phone (390 × 844): every main page fits the width (no sideways
// scrolling of the page; a wide table scrolls inside its own box), and the top bar and every tab
// stay on screen and usable.
import type { Page } from 'playwright-core';
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { readyToSend, scheduleNow } from '../sending/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

const WIDTH = 390;

/** How far the page reaches sideways, and what sticks out (for the message when it does). */
async function overflow(page: Page): Promise<{ width: number; culprits: string[] }> {
  return page.evaluate((width) => {
    const culprits = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > width + 0.5 && !element.closest('.overflow-auto'))
      .slice(0, 5)
      .map((element) => `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''}${element.className ? '.' + String(element.className).replace(/ /g, '.') : ''}`);
    return { width: document.documentElement.scrollWidth, culprits };
  }, WIDTH);
}

/** Elements of the top bar and the tabs that a person cannot see or reach on this screen. */
async function unreachable(page: Page): Promise<string[]> {
  return page.evaluate((width) => {
    const controls = [...document.querySelectorAll('header.topbar a, header.topbar button, header.topbar #balance, nav#tabs a')];
    return controls
      .filter((element) => {
        const box = element.getBoundingClientRect();
        return box.width === 0 || box.height === 0 || box.left < 0 || box.right > width + 0.5;
      })
      .map((element) => element.textContent?.trim() ?? '');
  }, WIDTH);
}

browserTest('every main page fits a 390 px wide phone, with its navigation on screen', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Phone-sized Flower Shop International');
  const { campaign, contacts, list, segment } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  const em = withAccount(orm.em, account.id);
  const draft = em.create(Campaign, { account: account.id, name: 'Autumn offers for our most loyal customers', sender: 'Textcast', body: 'Hi {{first_name}}', recipientSource: 'list', list: list.id, createdBy: owner.email });
  await em.flush();

  const { page, context, problems } = await browse(t, app);
  await page.setViewportSize({ width: WIDTH, height: 844 });
  await signIn(page, owner.email);

  const pages: [string, string][] = [
    ['Dashboard', '/dashboard'],
    ['Contacts', '/contacts'],
    ['a contact', `/contacts/${contacts[1].id}`],
    ['a new contact', '/contacts/new'],
    ['lists and Create list', '/contacts/lists'],
    ['a list', `/contacts/lists/${list.id}`],
    ['segments', '/contacts/segments'],
    ['the segment builder', '/contacts/segments/new'],
    ['a segment', `/contacts/segments/${segment.id}`],
    ['import', '/contacts/imports'],
    ['custom fields', '/contacts/fields'],
    ['Create', '/create'],
    ['wizard step 1', '/create/new'],
    ['wizard step 2', `/create/${draft.id}/recipients`],
    ['a draft campaign', `/create/${draft.id}`],
    ['a launched campaign', `/create/${campaign.id}`],
    ['Reporting', '/reporting'],
    ['Inbound SMS', '/inbound'],
    ['Automation', '/automation'],
    ['Settings', '/settings'],
    ['account settings', '/settings/account'],
    ['gateways', '/settings/gateways'],
    ['prices', '/settings/prices'],
    ['quiet hours', '/settings/quiet-hours'],
    ['users', '/settings/users'],
    ['API keys', '/settings/api-keys'],
    ['credits', '/settings/credits'],
  ];
  for (const [name, path] of pages) {
    const response = await page.goto(path);
    t.equal(response?.status(), 200, `${name} (${path}) loads`);
    const { width, culprits } = await overflow(page);
    t.ok(width <= WIDTH, `${name} (${path}) fits: ${width} px wide${culprits.length ? `; too wide: ${culprits.join(', ')}` : ''}`);
    t.same(await unreachable(page), [], `${name}: the top bar and every tab are on screen`);
  }

  // The tabs work at this size: one tap away, swapped in through htmx.
  await page.goto('/dashboard');
  await page.locator('nav#tabs').getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Settings');
  t.equal(await page.locator('nav#tabs [aria-current="page"]').textContent(), 'Settings');
  t.ok((await overflow(page)).width <= WIDTH, 'still no sideways scrolling after a tab switch');
  t.same(await problems(), []);
  await context.close();
});
