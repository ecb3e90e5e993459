// Link detection in a message (tracked links): the punctuation that ends a sentence is not part
// of a link, and hostile text (long runs of punctuation) is handled by a linear scan; the editor's
// endpoints refuse texts far beyond any SMS.
import t from 'tap';
import { findLinks, replaceLinks } from '../../src/modules/campaigns/message-render.js';
import { buildTestApp, createTenant, addUser, signedIn } from '../helper.js';

t.test('a link ends before the punctuation of its sentence', async (t) => {
  t.same(findLinks('See https://shop.example.com/sale. Or http://x.io/a?b=1), ok!'), ['https://shop.example.com/sale', 'http://x.io/a?b=1']);
  t.same(findLinks('Twice: https://a.io/x, https://a.io/x!'), ['https://a.io/x'], 'each link once');
  t.equal(replaceLinks('Go to https://a.io/x.', ['https://a.io/x'], (n) => `[${n}]`), 'Go to [1].', 'the punctuation stays in the text');
  const dots = '.'.repeat(100_000);
  t.same(findLinks(`http://a${dots}x`), [`http://a${dots}x`], 'dots inside a link belong to it');
  t.same(findLinks(`see http://a${dots}`), ['http://a'], 'a run of dots at its end does not');
  t.equal(replaceLinks(`see http://a${dots}`, ['http://a'], () => 'L'), `see L${dots}`);
});

t.test("the editor's counter refuses a text far beyond any SMS, even from a viewer", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const viewer = await signedIn(app, await addUser(orm, owner.account, 'viewer'));
  const huge = `http://a${'.'.repeat(100_000)}x`;
  const response = await viewer.post('/create/counter', { kind: 'batch', body: huge, track_links: 'on' }, { 'hx-request': 'true' });
  t.equal(response.statusCode, 400, 'refused before any counting');
  t.match(response.body, 'body: at most 10,000 characters');
  const fine = await viewer.post('/create/counter', { kind: 'batch', body: `http://a${'.'.repeat(5_000)}x`, track_links: 'on' }, { 'hx-request': 'true' });
  t.equal(fine.statusCode, 200, 'a long text within the cap is counted');
});
