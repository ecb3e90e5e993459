// In a real browser (Debian's Chromium driven by playwright-core), against the app on a real
// socket: a marketer walks the campaign wizard. Step 1: name, sender, a message typed key by key
// with the live counter (characters, encoding, parts) following through htmx, an emoji and a
// curly quote forcing Unicode, the look-alike replacement, a placeholder inserted. Step 2: a
// contact list, the reach (receiving / opted out / bad number, parts per country, the STOP
// warning), a schedule an hour ahead in the account's time zone. Then the campaign page and the
// Create tab's table, filtered through htmx. No console error or CSP violation may happen.
import type { Page } from 'playwright-core';
import { buildTestApp, createTenant, addUser, PASSWORD } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { audience } from '../campaigns/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

const TIME_ZONE = 'Europe/Paris'; // createTenant's account zone

declare global {
  interface Window {
    __marker?: number;
    __heading?: Element | null;
    __results?: Element | null;
  }
}


/** "YYYY-MM-DDTHH:MM" (a datetime-local value) for `date` in `timeZone`. */
function localValue(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

interface Counter {
  characters: string;
  encoding: string;
  parts: string;
}

/** Waits until the live counter shows exactly these figures (it follows the textarea after a
 * 300 ms debounce and a round trip), then returns what it shows. */
async function counterShows(page: Page, expected: Counter): Promise<Counter> {
  await page
    .waitForFunction((want) => {
      const text = (selector: string) => document.querySelector(`#counter ${selector}`)?.textContent?.trim();
      return text('[data-counter="characters"]') === want.characters && text('[data-counter="encoding"]') === want.encoding && text('[data-counter="parts"]') === want.parts;
    }, expected)
    .catch(() => {});
  return page.evaluate(() => {
    const text = (selector: string) => document.querySelector(`#counter ${selector}`)?.textContent?.trim() ?? '';
    return { characters: text('[data-counter="characters"]'), encoding: text('[data-counter="encoding"]'), parts: text('[data-counter="parts"]') };
  });
}

/** Waits until the message textarea (swapped in by htmx) holds this text. */
async function textareaHolds(page: Page, expected: string): Promise<void> {
  await page.waitForFunction((text) => document.querySelector<HTMLTextAreaElement>('textarea[name="body"]')?.value === text, expected).catch(() => {});
}

browserTest('a marketer creates and schedules an SMS campaign in a real browser', async (t) => {
    const { app, orm } = await buildTestApp(t);
    const { account } = await createTenant(orm, 'Wizard Wares');
    await audience(orm, account);
    const marketer = await addUser(orm, account, 'marketer');
    // Another campaign, so that filtering the Create table has something to leave out.
    const em = withAccount(orm.em, account.id);
    em.create(Campaign, { account, name: 'Spring teaser', sender: 'ACME', body: 'Soon', createdBy: 'test' });
    await em.flush();
    const { page, context, problems } = await browse(t, app);

    // Every request the page makes that is not a static file: [method, path, HX-Target header].
    const requests: [string, string, string | undefined][] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/vendor/') || url.pathname.startsWith('/static/')) return;
      requests.push([request.method(), url.pathname + url.search, request.headers()['hx-target']]);
    });
    const textarea = page.locator('textarea[name="body"]');
    const counter = page.locator('#counter');
    const replaceButton = page.getByRole('button', { name: 'Replace look-alikes with GSM characters' });

    // Sign in, open the Create tab (htmx), then "New SMS campaign" (a plain link).
    await page.goto('/login');
    await page.getByLabel('Email').fill(marketer.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL('**/dashboard'), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.locator('nav#tabs').getByRole('link', { name: 'Create', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/create');
    await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Create');
    // (a link styled as a button: <a href="/create/new" role="button">)
    await Promise.all([page.waitForURL((url) => url.pathname === '/create/new'), page.getByRole('button', { name: 'New SMS campaign' }).click()]);
    t.equal(await page.locator('main#main h1').textContent(), 'New SMS campaign', 'step 1 opens');
    t.equal(await page.locator('ol.steps li[aria-current="step"]').textContent(), 'Message settings');
    await page.evaluate(() => {
      window.__marker = 1;
    });

    await page.locator('input[name="name"]').fill('Winter sale');
    await page.locator('input[name="sender"]').fill('ACME');

    // Typing: the counter follows, key by key (a request after each pause in typing).
    const start = 'Winter sale at ACME: 20% off everything today only';
    await textarea.pressSequentially(start);
    const plain = { characters: String(start.length), encoding: 'GSM-7', parts: '1' };
    t.same(await counterShows(page, plain), plain, 'plain text: GSM-7, one part');
    t.equal(await replaceButton.count(), 0, 'no look-alike button for GSM-7 text');

    // An emoji: Unicode, and it is named; deleting it brings GSM-7 back.
    await textarea.pressSequentially(' 😀');
    const withEmoji = { characters: String(start.length + 2), encoding: 'Unicode (UCS-2)', parts: '1' };
    t.same(await counterShows(page, withEmoji), withEmoji, 'an emoji switches the counter to Unicode (one character, one part)');
    t.match(await counter.locator('.notice.warning').textContent(), /Unicode because of:\s*😀/, 'the counter names the emoji');
    await textarea.press('Backspace');
    await textarea.press('Backspace');
    t.equal(await textarea.inputValue(), start, 'the emoji is deleted');
    t.same(await counterShows(page, plain), plain, 'back to GSM-7');

    // A curly quote past 70 characters: Unicode, two parts, and the look-alike button.
    const rest = ', it’s true! Reply STOP to opt out.';
    await textarea.pressSequentially(rest);
    const curly = start + rest;
    t.equal(await textarea.inputValue(), curly, 'typed as is, curly quote included');
    t.ok(curly.length > 70 && curly.length <= 160, 'the text fits one GSM-7 part but not one UCS-2 part');
    const unicode = { characters: String(curly.length), encoding: 'Unicode (UCS-2)', parts: '2' };
    t.same(await counterShows(page, unicode), unicode, 'a curly quote forces Unicode: two parts');
    t.match(await counter.locator('.notice.warning code').allTextContents(), ['’'], 'the counter names the curly quote');
    t.equal(await replaceButton.count(), 1, 'the look-alike button is offered');

    await replaceButton.click();
    const straight = curly.replace('’', "'");
    await textareaHolds(page, straight);
    t.equal(await textarea.inputValue(), straight, 'the textarea text is replaced with GSM characters');
    const gsm = { characters: String(straight.length), encoding: 'GSM-7', parts: '1' };
    t.same(await counterShows(page, gsm), gsm, 'the counter is back to GSM-7, one part');
    t.match(await counter.textContent(), '1 character replaced by GSM equivalents.');
    t.equal(await replaceButton.count(), 0, 'the look-alike button is gone');

    // The swapped-in textarea is live too. (It is a new element: a person clicks into it and
    // goes to the end; a programmatic focus alone would leave the caret at the start.)
    await textarea.click();
    await textarea.press('Control+End');
    await textarea.pressSequentially(' See you');
    const typed = straight + ' See you';
    t.equal(await textarea.inputValue(), typed, 'typed at the end of the replaced text');
    const more = { characters: String(typed.length), encoding: 'GSM-7', parts: '1' };
    t.same(await counterShows(page, more), more, 'typing in the new textarea updates the counter');

    // A placeholder from the select, appended after a space; it counts as 10 characters for now.
    await page.getByRole('combobox', { name: 'Placeholder to insert' }).selectOption('first_name');
    await page.getByRole('button', { name: 'Insert placeholder' }).click();
    const withPlaceholder = typed + ' {{first_name}}';
    await textareaHolds(page, withPlaceholder);
    t.equal(await textarea.inputValue(), withPlaceholder, '{{first_name}} is appended');
    const estimated = { characters: String(typed.length + 1 + 10), encoding: 'GSM-7', parts: '1' };
    t.same(await counterShows(page, estimated), estimated, 'the placeholder counts as 10 characters');
    t.match(await counter.textContent(), 'each placeholder counts as 10 characters');

    t.equal(await page.evaluate(() => window.__marker), 1, 'the counter, replacement and insertion happened without a page load');
    const helpers = requests.filter(([method, path]) => method === 'POST' && ['/create/counter', '/create/lookalikes', '/create/insert'].includes(path));
    t.ok(helpers.some(([, path, target]) => path === '/create/counter' && target === 'div#counter'), 'the counter is fetched by htmx for #counter');
    t.ok(helpers.some(([, path, target]) => path === '/create/lookalikes' && target === 'div#body-field'), 'the replacement is fetched by htmx for #body-field');
    t.ok(helpers.some(([, path, target]) => path === '/create/insert' && target === 'div#body-field'), 'the insertion is fetched by htmx for #body-field');
    t.equal(await page.locator('#counter').count(), 1, 'exactly one counter');
    t.equal(await page.locator('textarea[name="body"]').count(), 1, 'exactly one textarea');

    // Step 1 saved: on to step 2.
    await Promise.all([
      page.waitForURL((url) => /^\/create\/[0-9a-f-]{36}\/recipients$/.test(url.pathname)),
      page.getByRole('button', { name: 'Save and choose recipients →' }).click(),
    ]);
    const id = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(pathname(page))![1];
    t.equal(await page.locator('main#main h1').textContent(), 'Winter sale', 'step 2 shows the campaign');
    t.equal(await page.locator('ol.steps li[aria-current="step"]').textContent(), 'Recipients and scheduling');
    t.equal(await page.locator('#reach').count(), 0, 'no reach before the recipients are chosen');
    t.match(await page.locator('main#main').textContent(), 'Choose the recipients to see who will receive the campaign');
    const saved = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id });
    t.equal(saved.body, withPlaceholder, 'the message is saved as typed');
    t.equal(saved.sender, 'ACME');

    await page.getByRole('radio', { name: 'Contact list' }).check();
    await page.getByRole('combobox', { name: 'Contact list' }).selectOption({ label: 'Customers' });
    await page.getByRole('button', { name: 'Use these recipients' }).click();
    const reach = page.locator('#reach');
    await reach.waitFor();
    t.equal(pathname(page), `/create/${id}/recipients`, 'still on step 2');
    t.match(await reach.textContent(), /3\s+of 5 contacts will receive it\./, '3 of 5 contacts will receive it');
    t.equal(await reach.locator('[data-reach="receiving"]').textContent(), '3');
    t.equal(await reach.locator('[data-reach="opted-out"]').textContent(), '1', 'one opted out');
    t.equal(await reach.locator('[data-reach="bad-number"]').textContent(), '1', 'one with a bad number');
    // The placeholder now counts as the longest first name among the recipients (21 characters).
    const longest = typed.length + 1 + 'Bartholomew-Alexander'.length;
    t.match(await reach.textContent(), `The message is 1 part (GSM-7, ${longest} characters, placeholders at their longest value among the recipients).`);
    // Recipients and parts per country, read by column header (the table may grow more columns).
    const rows = await reach.locator('table').evaluate((table) => {
      const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
      const column = (name: string) => headers.indexOf(name);
      return [...table.querySelectorAll('tbody tr')].map((tr) => {
        const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '');
        return [cells[column('Country')], cells[column('Recipients')], cells[column('SMS parts')]];
      });
    });
    t.same(
      rows.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['France (FR)', '2', '2'],
        ['Germany (DE)', '1', '1'],
      ],
      'recipients and parts per country',
    );
    const warnings = await reach.locator('.notice.warning').allTextContents();
    t.ok(
      warnings.some((w) => w.includes('Recipients in FR must be able to reply STOP, which needs an inbound number as the sender; "ACME" cannot receive replies.')),
      'the STOP warning for FR (a name sender cannot receive STOP)',
    );
    t.notOk(warnings.some((w) => w.includes('must say how to opt out')), 'no opt-out warning: the message says STOP');

    // A schedule one hour ahead, as a local time in the account's zone.
    const at = localValue(new Date(Date.now() + 3600_000), TIME_ZONE);
    const [date, time] = at.split('T');
    const [y, m, d] = date!.split('-');
    const shown = `${d}-${m}-${y} ${time}`;
    t.match(await page.locator('main#main').textContent(), `At a date and time (${TIME_ZONE})`, 'the form names the time zone');
    await page.getByRole('radio', { name: /At a date and time/ }).check();
    await page.locator('input[type="datetime-local"][name="at"]').fill(at);
    await Promise.all([page.waitForURL((url) => url.pathname === `/create/${id}`), page.getByRole('button', { name: 'Schedule', exact: true }).click()]);
    t.equal(await page.locator('main#main h1').textContent(), 'Winter sale', 'the campaign page');
    t.equal(await page.locator('[data-field="type"]').textContent(), 'Sent batch');
    t.equal(await page.locator('[data-field="status"]').textContent(), 'scheduled');
    t.equal(await page.locator('[data-field="scheduled"]').textContent(), `${shown} (${TIME_ZONE})`, 'scheduled as DD-MM-YYYY HH:MM in the account time zone');
    t.match(await page.locator('dl.fields').textContent(), 'Contact list: Customers – Winter sale');
    const scheduled = await withAccount(orm.em, account.id).findOneOrFail(Campaign, { id });
    t.equal(scheduled.status, 'scheduled');
    t.equal(scheduled.estimatedRecipients, 3);
    t.equal(localValue(scheduled.scheduledAt!, TIME_ZONE), at, 'stored as that instant');

    // The Create tab (htmx) lists it.
    await page.evaluate(() => {
      window.__marker = 2;
    });
    await page.locator('nav#tabs').getByRole('link', { name: 'Create', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/create');
    await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Create');
    t.equal(await page.evaluate(() => window.__marker), 2, 'the Create tab is swapped in by htmx');
    const results = page.locator('#campaign-results');
    const rowOf = (name: string) => results.locator('tbody tr').filter({ has: page.getByRole('link', { name, exact: true }) });
    t.equal(await results.locator('tbody tr').count(), 2, 'two campaigns');
    const cells = await rowOf('Winter sale').locator('td').allTextContents();
    t.equal(cells[0], 'Winter sale');
    t.equal(cells[1], 'Sent batch', 'type');
    t.equal(cells[2], 'Contact list: Customers – Winter sale', 'recipient source');
    t.equal(cells[3], shown, 'scheduled, DD-MM-YYYY HH:MM');
    const other = await rowOf('Spring teaser').locator('td').allTextContents();
    t.same(other.slice(1, 4), ['Draft batch', 'Not chosen yet', ''], 'the other campaign is a draft');

    // Filtering by name: htmx swaps only #campaign-results.
    await page.evaluate(() => {
      window.__heading = document.querySelector('main#main h1');
      window.__results = document.querySelector('#campaign-results');
    });
    const before = requests.length;
    await page.getByRole('searchbox', { name: 'Search by name' }).pressSequentially('wint', { delay: 20 });
    await page.waitForFunction(() => document.querySelectorAll('#campaign-results tbody tr').length === 1);
    t.equal(await results.locator('tbody tr').count(), 1, 'one campaign matches "wint"');
    t.equal(await rowOf('Winter sale').count(), 1, 'the matching one');
    t.equal(await page.evaluate(() => window.__marker), 2, 'no page load');
    t.ok(await page.evaluate(() => document.querySelector('main#main h1') === window.__heading), 'the heading is the same element: <main> was not swapped');
    t.ok(await page.evaluate(() => document.querySelector('#campaign-results') !== window.__results), '#campaign-results was swapped');
    t.equal(await page.locator('#campaign-results').count(), 1, 'exactly one #campaign-results');
    t.equal(await page.getByRole('searchbox', { name: 'Search by name' }).inputValue(), 'wint', 'the search box keeps what was typed');
    const searches = requests.slice(before).filter(([method, path]) => method === 'GET' && path.startsWith('/create?'));
    t.ok(searches.length >= 1, 'the search went to the server');
    t.ok(searches.every(([, , target]) => target === 'section#campaign-results'), 'targeting #campaign-results');
    await page.waitForURL((url) => url.searchParams.get('q') === 'wint');
    t.equal(new URL(page.url()).searchParams.get('q'), 'wint', 'the filtered URL is pushed');

    await page.getByRole('searchbox', { name: 'Search by name' }).fill('nothing like it');
    await page.waitForFunction(() => document.querySelector('#campaign-results')?.textContent?.includes('No campaign matches these filters.'));
    t.equal(await results.locator('tbody tr').count(), 0, 'no campaign matches');
    t.equal(await page.evaluate(() => window.__marker), 2, 'still no page load');

    t.same(await problems(), [], 'no console error, page error or CSP violation');
    await context.close();
  });

browserTest('step 2 says when the messages will go, and follows the schedule as it is typed', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm); // quiet hours on, as every new account
  const { list } = await audience(orm, account); // 2 recipients in France, 1 in Germany
  const marketer = await addUser(orm, account, 'marketer');
  const em = withAccount(orm.em, account.id);
  const campaign = em.create(Campaign, { account, name: 'Autumn sale', sender: 'ACME', body: 'Autumn sale today. Reply STOP to opt out', createdBy: 'test', recipientSource: 'list', list });
  await em.flush();
  const { page, context, problems } = await browse(t, app);
  const forecasts: (string | undefined)[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === `/create/${campaign.id}/forecast`) forecasts.push(request.headers()['hx-target']);
  });

  await signIn(page, marketer.email);
  await page.goto(`/create/${campaign.id}/recipients`);
  const forecast = page.locator('#forecast');
  const shows = async (text: string) => {
    await page.waitForFunction((want) => document.querySelector('#forecast')?.textContent?.replace(/\s+/g, ' ').includes(want), text).catch(() => {});
    return (await forecast.textContent())?.replace(/\s+/g, ' ') ?? '';
  };
  t.match(await forecast.textContent(), /Sent now/, 'before a time is typed: the forecast for sending now');
  t.match(await forecast.textContent(), /of 3 recipients can receive it at that time/);
  await page.evaluate(() => {
    window.__marker = 3;
  });

  // A Wednesday two weeks ahead, 03:00 in Paris: everyone waits for 08:00.
  const wednesday = new Date(Date.now() + 14 * 86_400_000);
  wednesday.setUTCDate(wednesday.getUTCDate() + ((3 - wednesday.getUTCDay() + 7) % 7));
  const day = localValue(wednesday, TIME_ZONE).slice(0, 10);
  await page.getByRole('radio', { name: /At a date and time/ }).check();
  await page.locator('input[type="datetime-local"][name="at"]').fill(`${day}T03:00`);
  const night = await shows('0 of 3 recipients');
  t.match(night, '0 of 3 recipients can receive it at that time; 3 are outside their send window', 'at 03:00 no one can receive it');
  t.match(night, '2 recipients in France (Europe/Paris) are outside their window: they receive it from 08:00 their time', 'France waits for 08:00 its time');
  t.match(night, /Estimated finish: about Wed \d+ \w+ 08:00 \(Europe\/Paris\)/, 'and the estimated finish follows');

  // Noon the same day: everyone can.
  await page.locator('input[type="datetime-local"][name="at"]').fill(`${day}T12:00`);
  const noon = await shows('3 of 3 recipients');
  t.match(noon, '3 of 3 recipients can receive it at that time.', 'at noon everyone can receive it');
  t.notMatch(noon, 'outside their window');

  // Back to "Send now".
  await page.getByRole('radio', { name: 'Send now' }).check();
  t.match(await shows('Sent now'), 'Sent now', '"Send now" brings the forecast for now back');

  t.equal(await page.evaluate(() => window.__marker), 3, 'no page load: the forecast was swapped in');
  t.ok(forecasts.length >= 3 && forecasts.every((target) => target === 'section#forecast'), 'fetched by htmx for #forecast');
  t.equal(await page.locator('#forecast').count(), 1, 'exactly one forecast');
  t.same(await problems(), [], 'no console error, page error or CSP violation');
  await context.close();
});
