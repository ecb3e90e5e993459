// Where a launched campaign lives once it has left the Create tab: its page belongs to Reporting,
// the empty Create tab says where it went, and its segment or list no longer holds it back.
import t from 'tap';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { readyToSend, scheduleNow, query } from './helpers.js';

/** The tab the page highlights (aria-current) in nav#tabs. */
const currentTab = (html: string) => /<nav id="tabs"[\s\S]*?<a [^>]*aria-current="page"[^>]*>([^<]+)<\/a>/.exec(html)?.[1] ?? null;

async function launched(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const fixture = await readyToSend(orm, account);
  await scheduleNow(orm, account, fixture.campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), fixture.campaign.id, 'http://localhost:3000');
  return { app, orm, account, client: await signedIn(app, owner), ...fixture };
}

t.test('a launched campaign’s page highlights the Reporting tab, as a page and as a tab fragment; a draft’s highlights Create', async (t) => {
  const { client, campaign, em, account } = await launched(t);
  const page = await client.get(`/create/${campaign.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, '<a href="/reporting">Reporting</a>', 'the breadcrumb leads to Reporting');
  t.equal(currentTab(page.body), 'Reporting');
  const fragment = await client.get(`/create/${campaign.id}`, { 'hx-request': 'true', 'hx-target': 'main#main' });
  t.equal(currentTab(fragment.body), 'Reporting', 'the tab bar swapped in with the fragment too');
  t.equal(currentTab((await client.get(`/create/${campaign.id}/preview`)).body), 'Reporting', 'its preview as well');

  const draft = em.create(Campaign, { account: account.id, name: 'Autumn', sender: 'Textcast', body: 'Hi', createdBy: 'test' });
  await em.flush();
  t.equal(currentTab((await client.get(`/create/${draft.id}`)).body), 'Create');
});

t.test('the Create tab says that launched campaigns are in Reporting, with a link, when none is left to launch', async (t) => {
  const { client } = await launched(t);
  const body = (await client.get('/create')).body;
  t.notMatch(body, 'There are no campaigns yet');
  t.match(body, /No campaign is waiting to be launched\.<\/strong> The campaign you launched is in <a href="\/reporting">Reporting<\/a>/);
  t.match((await client.get('/create?q=nothing')).body, 'No campaign matches these filters.', 'a filter that finds nothing still says so');
});

t.test('a list or segment used by a launched campaign can be deleted; the campaign page still shows its figures; one still to launch keeps it', async (t) => {
  const { client, orm, campaign, list, segment, em, account } = await launched(t);
  // The launched campaign sends to the list; a second one, launched to the segment.
  const toSegment = em.create(Campaign, { account: account.id, name: 'Germans only', sender: 'Textcast', body: 'Hallo', recipientSource: 'segment', segment, createdBy: 'test' });
  await em.flush();
  await scheduleNow(orm, account, toSegment.id);
  await launchCampaign(withAccount(orm.em, account.id), toSegment.id, 'http://localhost:3000');

  const confirm = await client.get(`/contacts/lists/${list.id}/delete`);
  t.notMatch(confirm.body, 'cannot be deleted');
  t.equal((await client.post(`/contacts/lists/${list.id}/delete`)).statusCode, 303, 'the list is deleted');
  t.equal((await client.post(`/contacts/segments/${segment.id}/delete`)).statusCode, 303, 'the segment is deleted');
  t.same(await query(orm, 'select id from contact_list where id = ?', [list.id]), []);

  const page = await client.get(`/create/${campaign.id}`);
  t.equal(page.statusCode, 200, 'the launched campaign’s page still renders');
  t.match(page.body, 'A contact list deleted since the launch');
  t.match(page.body, /data-stat="recipients">5</, 'its figures come from its messages');
  t.match((await client.get(`/create/${toSegment.id}`)).body, 'A segment deleted since the launch');
  const copy = await client.post(`/create/${campaign.id}/copy`);
  t.equal(copy.statusCode, 303, 'it can still be copied');
  t.match((await client.get(String(copy.headers.location).replace('/edit', ''))).body, 'Not chosen yet', 'the copy has no recipients chosen');

  // A draft sending to a list keeps it: the page says why, and the database refuses too.
  const vip = em.create(ContactList, { account: account.id, name: 'VIP' });
  em.create(Campaign, { account: account.id, name: 'Still a draft', sender: 'Textcast', body: 'Hi', recipientSource: 'list', list: vip, createdBy: 'test' });
  await em.flush();
  const refused = await client.post(`/contacts/lists/${vip.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'This list cannot be deleted: it is the recipient source of Still a draft.');
  await t.rejects(query(orm, 'delete from contact_list where id = ?', [vip.id]), /campaign_unlaunched_keeps_recipients/, 'the database keeps it too');
});

