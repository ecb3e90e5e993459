// In a real browser: a marketer types a long message in step 1 of the wizard, makes the message
// box taller to read it (the textarea's resize handle), and inserts a placeholder. The editor's
// swap of the message box must not make the browser apply an inline style, which the CSP
// (style-src 'self') refuses and reports.
import { buildTestApp, createTenant, addUser } from '../helper.js';
import { browse, browserTest, signIn } from './browser.js';

browserTest('a long message, a taller message box and a placeholder insert: no CSP violation', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const marketer = await addUser(orm, account, 'marketer');
  const { page, problems } = await browse(t, app);
  await signIn(page, marketer.email);
  await page.goto('/create/new');
  const textarea = page.locator('textarea[name="body"]');
  const long = 'Our winter sale starts today with 30% off every coat, boot and scarf in all our shops. '.repeat(3).trim();
  await textarea.fill(long);
  await textarea.press('End');
  await textarea.pressSequentially(' Hi');
  // Dragging the resize handle in its lower right corner, as a person reading a long text does.
  await textarea.scrollIntoViewIfNeeded();
  const box = (await textarea.boundingBox())!;
  await page.mouse.move(box.x + box.width - 6, box.y + box.height - 6);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 6, box.y + box.height + 150, { steps: 5 });
  await page.mouse.up();
  t.ok(((await textarea.boundingBox())!.height) > box.height + 100, 'the message box is taller');

  await page.getByRole('combobox', { name: 'Placeholder to insert' }).selectOption('first_name');
  await page.getByRole('button', { name: 'Insert placeholder' }).click();
  await page.waitForFunction((text) => document.querySelector<HTMLTextAreaElement>('textarea[name="body"]')?.value === text, `${long} Hi {{first_name}}`);
  t.equal(await textarea.inputValue(), `${long} Hi {{first_name}}`, 'the placeholder is appended');
  t.same(await problems(), [], 'no console error, page error or CSP violation');
});
