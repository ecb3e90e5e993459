// One count of a text, everywhere: the editor's live counter, the campaign page, step 2 and the
// API show the same characters and parts for the same text under the same assumption, and say
// which assumption that is.
import t from 'tap';
import { buildTestApp, createTenant, addUser, signedIn, createKey } from '../helper.js';
import { audience } from './helpers.js';

// A placeholder (longest first name among the receivers: "Bartholomew-Alexander", 21 characters)
// and a link that is tracked (counted at its short length).
const BODY = 'Hi {{first_name}}, our winter sale starts today: https://shop.example.com/winter-sale-2026/collections/all?utm_source=sms Reply STOP to opt out';

const counterOf = (html: string) => ({ characters: Number(/data-counter="characters">(\d+)</.exec(html)?.[1]), parts: Number(/data-counter="parts">(\d+)</.exec(html)?.[1]) });
const footerOf = (html: string) => {
  const m = /<footer>(\d+) characters · [^·]+ · (\d+) parts?/.exec(html);
  return { characters: Number(m?.[1]), parts: Number(m?.[2]) };
};
const stepTwoOf = (html: string) => {
  const m = /The message is <strong>(\d+) parts?<\/strong> \([^,]+, (\d+) characters/.exec(html);
  return { characters: Number(m?.[2]), parts: Number(m?.[1]) };
};

t.test('the same text shows the same count in the editor, on its page, in step 2 and in the API', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const client = await signedIn(app, await addUser(orm, owner.account, 'marketer'));
  const form = await client.get('/create/new');
  const token = /name="id" value="([0-9a-f-]{36})"/.exec(form.body)![1];

  // Before recipients: each placeholder at a fixed 10 characters, everywhere, and said so.
  const editorBefore = await client.post('/create/counter', { id: token, kind: 'batch', body: BODY, track_links: 'on' }, { 'hx-request': 'true' });
  t.match(editorBefore.body, 'each placeholder counts as 10 characters');
  const created = await client.post('/create', { id: token, kind: 'batch', name: 'Winter', sender: 'ACME', body: BODY, track_links: 'on' });
  t.equal(created.statusCode, 303);
  const id = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(created.headers.location as string)![1];
  const pageBefore = await client.get(`/create/${id}`);
  t.same(footerOf(pageBefore.body), counterOf(editorBefore.body), 'the campaign page counts as the editor did');
  t.match(pageBefore.body, 'an estimate: each placeholder counts as 10 characters');
  const key = await createKey(orm, owner.account);
  const api = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${id}`, headers: { authorization: `Bearer ${key}` } });
  t.equal(api.json().parts, counterOf(editorBefore.body).parts, 'the API too');
  t.equal(api.json().parts_basis, 'fixed', 'and says its assumption');

  // After recipients: the longest value among them, everywhere.
  t.equal((await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id })).statusCode, 303);
  const editorAfter = counterOf((await client.post('/create/counter', { id, kind: 'batch', body: BODY, track_links: 'on' }, { 'hx-request': 'true' })).body);
  const stepTwo = await client.get(`/create/${id}/recipients`);
  const pageAfter = await client.get(`/create/${id}`);
  t.equal(editorAfter.characters, counterOf(editorBefore.body).characters + 11, 'the name counts at its 21 characters instead of 10');
  t.same(stepTwoOf(stepTwo.body), editorAfter, 'step 2 counts as the editor');
  t.same(footerOf(pageAfter.body), editorAfter, 'the campaign page counts as the editor');
  t.match(stepTwo.body, 'placeholders at their longest value among the recipients');
  t.match(pageAfter.body, 'placeholders at their longest value among the recipients');

  // Link tracking is part of the assumption: untracked, the long link counts in full.
  const untracked = counterOf((await client.post('/create/counter', { id, kind: 'batch', body: BODY }, { 'hx-request': 'true' })).body);
  t.ok(untracked.characters > editorAfter.characters, 'an untracked link counts at its full length');
});

t.test('the preview shows tracked links at their short length, so it is as long as the counter says', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const { list } = await audience(orm, account);
  const client = await signedIn(app, owner);
  await client.get('/create/new');
  const created = await client.post('/create', { kind: 'batch', name: 'Winter', sender: 'ACME', body: BODY, track_links: 'on' });
  const id = /^\/create\/([0-9a-f-]{36})\/recipients$/.exec(created.headers.location as string)![1];
  await client.post(`/create/${id}/recipients`, { source: 'list', list_id: list.id });
  const counted = counterOf((await client.post('/create/counter', { id, kind: 'batch', body: BODY, track_links: 'on' }, { 'hx-request': 'true' })).body);

  // The recipient with the longest first name: the message the counter counts.
  const preview = await client.get(`/create/${id}/preview?phone=%2B33612345602`, { 'hx-request': 'true', 'hx-target': 'div#preview' });
  const shown = /<pre class="sms" data-preview>([^<]*)<\/pre>/.exec(preview.body)![1];
  const publicUrl = app.config.publicUrl;
  t.match(shown, `Hi Bartholomew-Alexander, our winter sale starts today: ${publicUrl}/l/xxxxxxxxxx1 Reply STOP`, 'the link as sent: a short link');
  t.notMatch(shown, 'shop.example.com');
  t.equal(shown.length, counted.characters, "as long as the counter's count");
  t.match(preview.body, 'its links shortened and tracked (GSM-7, 1 part)');

  await client.post(`/create/${id}/edit`, { id, kind: 'batch', name: 'Winter', sender: 'ACME', body: BODY });
  const untracked = await client.get(`/create/${id}/preview?phone=%2B33612345602`);
  t.match(untracked.body, 'https://shop.example.com/winter-sale-2026/collections/all?utm_source=sms', 'untracked, the link as written');
});

t.test('the editor offers to replace look-alikes only when it can replace some, and says which', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  await client.get('/create/new');
  const counter = async (body: string) => (await client.post('/create/counter', { kind: 'batch', body }, { 'hx-request': 'true' })).body;

  const emoji = await counter('See you soon 🎉');
  t.match(emoji, 'Unicode because of');
  t.notMatch(emoji, 'Replace look-alikes', 'no button: an emoji has no GSM-7 equivalent');
  t.match(emoji, 'It has no GSM-7 equivalent: the message is sent as Unicode while it is in it.');

  const mixed = await counter('It’s here 🎉');
  t.match(mixed, 'Replace look-alikes with GSM characters');
  t.match(mixed, "It replaces <code>’</code> by <code>&#39;</code>; the other has no GSM-7 equivalent.");

  const quotes = await counter('“Sale” – today…');
  t.match(quotes, 'It replaces <code>“</code> by <code>&quot;</code>, <code>”</code> by <code>&quot;</code>, <code>–</code> by <code>-</code>, <code>…</code> by <code>...</code>.');
});
