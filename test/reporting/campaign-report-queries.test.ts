// The campaign report's STOP replies attributed by time and clicks per tracked link, checked
// against known rows (written straight into the tables, at chosen times).
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant } from '../helper.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { linkClicks, stopRepliesAfter } from '../../src/modules/reporting/campaign-report.queries.js';
import { query } from '../sending/helpers.js';
import { campaignSentTo, inboundNumber } from '../inbound/helpers.js';

const hours = (from: Date, n: number) => new Date(from.getTime() + n * 3_600_000);

/** A campaign sent to each phone at `at`, as the dispatcher leaves it (first send, finish). */
async function sentCampaign(orm: MikroORM, account: Account, name: string, phones: string[], at: Date) {
  const campaign = await campaignSentTo(orm, account, name, phones.map((phone) => ({ phone, at })));
  await query(orm, `update campaign set launched_at = ?, first_sent_at = ?, finished_at = ? where id = ?`, [at, at, hours(at, 1), campaign.id]);
  return campaign;
}

let numbers = 0;

/** Replies that arrived at an inbound number of the account: opt-outs by keyword, or other text. */
async function replies(orm: MikroORM, account: Account, rows: { phone: string; at: Date; optOut?: boolean }[]) {
  const { inbound } = await inboundNumber(orm, account, `+3364400000${++numbers}`);
  for (const [i, row] of rows.entries()) {
    const optOut = row.optOut ?? true;
    await query(
      orm,
      `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status, classification, keyword)
       select ?, gateway_id, ?, id, ?, ?, number, ?, ?, 'processed', ?, ? from inbound_number where id = ?`,
      [account.id, `reply-${i}-${row.phone}`, row.phone, row.phone, optOut ? 'STOP' : 'When?', row.at, optOut ? 'opt_out' : 'inbox', optOut ? 'STOP' : null, inbound.id],
    );
  }
}

t.test('STOP replies count for the latest campaign sent to the phone before them, within 3 days, per local day', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const sentAt = new Date('2026-03-10T08:00:00Z'); // 09:00 in Paris
  const spring = await sentCampaign(orm, account, 'Spring sale', ['+33600000001', '+33600000002', '+33600000003', '+33600000004', '+33600000005'], sentAt);
  const later = await sentCampaign(orm, account, 'Flash sale', ['+33600000002'], hours(sentAt, 24));
  await replies(orm, account, [
    { phone: '+33600000001', at: hours(sentAt, 1) }, // an hour after: Spring sale's
    { phone: '+33600000002', at: hours(sentAt, 26) }, // after the Flash sale reached it: the Flash sale's
    { phone: '+33600000003', at: hours(sentAt, 4 * 24) }, // four days later: nobody's
    { phone: '+33600000004', at: new Date('2026-03-10T23:30:00Z') }, // 00:30 on 11 March in Paris
    { phone: '+33600000005', at: hours(sentAt, 2), optOut: false }, // a question, not a STOP
  ]);
  const other = await createTenant(orm, 'Other account');
  await replies(orm, other.account, [{ phone: '+33600000001', at: hours(sentAt, 2) }]);

  t.same(await stopRepliesAfter(orm.em.fork(), account.id, spring.id), {
    count: 2,
    byDay: [
      { day: '2026-03-10', count: 1 },
      { day: '2026-03-11', count: 1 },
    ],
  });
  t.same(await stopRepliesAfter(orm.em.fork(), account.id, later.id), { count: 1, byDay: [{ day: '2026-03-11', count: 1 }] });
  t.same(await stopRepliesAfter(orm.em.fork(), other.account.id, spring.id), { count: 0, byDay: [] }, "another account sees nothing of this campaign's");
});

t.test('a STOP reply counts on the day it arrived in the account zone', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  await query(orm, `update account set time_zone = 'America/New_York' where id = ?`, [account.id]);
  const sentAt = new Date('2026-03-10T02:00:00Z'); // 9 March, 22:00 in New York
  const campaign = await sentCampaign(orm, account, 'Late offer', ['+15550000001', '+15550000002'], sentAt);
  await replies(orm, account, [
    { phone: '+15550000001', at: new Date('2026-03-10T03:59:00Z') }, // 9 March, 23:59
    { phone: '+15550000002', at: new Date('2026-03-10T04:00:00Z') }, // 10 March, 00:00
  ]);
  t.same((await stopRepliesAfter(orm.em.fork(), account.id, campaign.id)).byDay, [
    { day: '2026-03-09', count: 1 },
    { day: '2026-03-10', count: 1 },
  ]);
});

t.test('clicks per tracked link: every click, and the messages that clicked', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const at = new Date('2026-03-10T08:00:00Z');
  const campaign = await sentCampaign(orm, account, 'Spring sale', ['+33600000001', '+33600000002'], at);
  const otherCampaign = await sentCampaign(orm, account, 'Another', ['+33600000001'], at);
  const [ann, bob] = await query<{ id: string }>(orm, 'select id from message where campaign_id = ? order by phone', [campaign.id]);
  const link = async (campaignId: string, position: number, url: string) =>
    (await query<{ id: string }>(orm, 'insert into link (account_id, campaign_id, position, url) values (?, ?, ?, ?) returning id', [account.id, campaignId, position, url]))[0]!.id;
  const shop = await link(campaign.id, 1, 'https://shop.example/spring');
  const terms = await link(campaign.id, 2, 'https://shop.example/terms');
  await link(campaign.id, 3, 'https://shop.example/unclicked');
  const elsewhere = await link(otherCampaign.id, 1, 'https://shop.example/other');
  const click = (linkId: string, messageId: string) => query(orm, 'insert into click (account_id, link_id, message_id) values (?, ?, ?)', [account.id, linkId, messageId]);
  await click(shop, ann!.id);
  await click(shop, ann!.id);
  await click(shop, bob!.id);
  await click(terms, bob!.id);
  await click(elsewhere, ann!.id);

  const clicks = await linkClicks(orm.em.fork(), account.id, campaign.id);
  t.same(
    clicks.map(({ position, url, total, unique }) => ({ position, url, total, unique })),
    [
      { position: 1, url: 'https://shop.example/spring', total: 3, unique: 2 },
      { position: 2, url: 'https://shop.example/terms', total: 1, unique: 1 },
      { position: 3, url: 'https://shop.example/unclicked', total: 0, unique: 0 },
    ],
    'in text order, a link nobody clicked included, another campaign left out',
  );
  t.same(clicks[0]!.linkId, shop);
  const other = await createTenant(orm, 'Other account');
  t.same(await linkClicks(orm.em.fork(), other.account.id, campaign.id), [], "another account sees none of this campaign's links");
});
