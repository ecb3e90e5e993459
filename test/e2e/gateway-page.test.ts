// A gateway's page in a phone-sized browser: it fits 390 px, Test connection answers in place
// (htmx), an edit saves, and nothing breaks the page's rules (no console errors, no CSP violation).
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { browse, browserTest, signIn } from './browser.js';

const WIDTH = 390;

browserTest("a gateway's page fits a phone; Test connection answers in place and an edit keeps the secret", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const simulator = await em.findOneOrFail(Gateway, {});
  em.create(Gateway, { account: account.id, kind: 'generic', name: 'Provider', config: { url: 'https://sms.example.com/a/rather/long/path/to/the/send/endpoint', token: 'browser-secret-token' } });
  await em.flush();
  const generic = await em.findOneOrFail(Gateway, { kind: 'generic' });

  const { page, context, problems } = await browse(t, app);
  await page.setViewportSize({ width: WIDTH, height: 844 });
  await signIn(page, owner.email);
  for (const gateway of [simulator, generic]) {
    t.equal((await page.goto(`/settings/gateways/${gateway.id}`))?.status(), 200);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    t.ok(width <= WIDTH, `the ${gateway.kind} gateway's page fits: ${width} px`);
  }
  t.notOk((await page.content()).includes('browser-secret-token'), 'the token is not in the page');

  await page.goto(`/settings/gateways/${simulator.id}`);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('[data-field="test-result"]').waitFor();
  t.match(await page.locator('[data-field="test-result"]').textContent(), 'ok: the simulator answers');
  t.equal(new URL(page.url()).pathname, `/settings/gateways/${simulator.id}`, 'answered in place');

  await page.goto(`/settings/gateways/${generic.id}`);
  await page.getByLabel('Name').fill('Provider EU');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('[data-notice]').waitFor();
  const saved = await withAccount(orm.em.fork(), account.id).findOneOrFail(Gateway, { id: generic.id });
  t.same([saved.name, saved.config.token], ['Provider EU', 'browser-secret-token'], 'saved, the token kept');
  t.same(await problems(), []);
  await context.close();
});
