// Step 2's delivery forecast: before "Send now" or a schedule, how many recipients can receive
// the campaign at that time, when the others' send windows open (in their time and the
// account's), and an estimated finish from the gateway's rate. The times are chosen so the
// answers do not depend on when the test runs: a Wednesday two weeks ahead for typed schedules,
// and for "send now" a window override that is closed at the current time.
import t from 'tap';
import { DateTime } from 'luxon';
import { buildTestApp, createTenant, addUser, signedIn, type Client } from '../helper.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { readyToSend, query } from '../sending/helpers.js';

const ZONE = 'Europe/Paris'; // createTenant's account zone

/** A Wednesday two weeks ahead at this time of day in Paris. */
const wednesdayAt = (hour: number, minute = 0) => DateTime.now().setZone(ZONE).plus({ weeks: 2 }).set({ weekday: 3, hour, minute, second: 0, millisecond: 0 });
/** As the schedule input types it. */
const typed = (time: DateTime) => time.toFormat("yyyy-LL-dd'T'HH:mm");
const iso = (time: DateTime) => time.toUTC().toISO();
/** "Wed 15 Jan 08:00" in the account's zone, as the forecast names times. */
const shown = (time: DateTime) => time.setZone(ZONE).setLocale('en').toFormat(time.year === DateTime.now().year ? 'ccc d LLL HH:mm' : 'ccc d LLL yyyy HH:mm');
/** The fragment or page as one line (the template breaks lines where it likes). */
const flat = (html: string) => html.replace(/\s+/g, ' ');

/** The forecast fragment htmx asks for when the schedule changes. */
async function forecast(client: Client, campaignId: string, schedule: { when: string; at?: string }): Promise<string> {
  const response = await client.get(`/create/${campaignId}/forecast?${new URLSearchParams(schedule)}`, { 'hx-request': 'true', 'hx-target': 'section#forecast' });
  if (response.statusCode !== 200) throw new Error(`forecast answered ${response.statusCode}`);
  return flat(response.body);
}

/** The instant of the <time> in the element marked `data-forecast="<name>"`. */
const timeIn = (html: string, name: string) => new RegExp(`data-forecast="${name}"[^>]*>[^<]*(?:<(?!time)[^<]*)*<time datetime="([^"]+)"`).exec(html)?.[1];

type Test = Parameters<typeof buildTestApp>[0];

/** An account with quiet hours on, the audience of the campaign tests (2 recipients in France and
 * 1 in Germany receive it; 2 contacts are left out), a campaign to them, and a gateway sending
 * `mps` messages a second. */
async function setUp(t: Test, mps = 50) {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const ready = await readyToSend(orm, account, { quietHours: true, mps });
  const client = await signedIn(app, await addUser(orm, account, 'marketer'));
  /** Adds `count` receiving contacts of `country` to the campaign's list (in `zone`, when given:
   * without one, as contacts the time zone backfill has not reached). */
  const addRecipients = async (count: number, country: string, prefix: string, zone?: string | null) => {
    await query(
      orm,
      `insert into contact (account_id, phone, country, time_zone, time_zone_source, created_at, updated_at) select ?, ? || lpad(g::text, 6, '0'), ?, ?, ?, now(), now() from generate_series(1, ?) g`,
      [account.id, prefix, country, zone ?? null, zone === undefined ? null : 'number', count],
    );
    await query(orm, `insert into contact_list_member (account_id, list_id, contact_id) select account_id, ?, id from contact where account_id = ? and phone like ? || '%'`, [ready.list.id, account.id, prefix]);
  };
  return { orm, account, client, addRecipients, ...ready };
}

t.test("a US list is forecast in each recipient's own zone: New York at once, the west and Hawaii as their mornings come", async (t) => {
  const { client, campaign, addRecipients } = await setUp(t);
  await addRecipients(3, 'US', '+1212555', 'America/New_York');
  await addRecipients(2, 'US', '+1415555', 'America/Los_Angeles');
  await addRecipients(1, 'US', '+1808555', 'Pacific/Honolulu');
  await addRecipients(1, 'US', '+1555555', null);
  // Wednesday 16:00 in Paris is 10:00 in New York, 07:00 in California, 05:00 in Honolulu (December).
  const start = wednesdayAt(16);
  const html = await forecast(client, campaign.id, { when: 'later', at: typed(start) });
  // Of 10 (3 in France and Germany, open at 16:00), 6 can receive it now: the 3 in New York among them.
  t.match(html, '<strong data-forecast="open">6</strong> of 10 recipients can receive it at that time; <strong data-forecast="waiting">4</strong> are outside their send window');
  const pacific = start.toUTC().set({ hour: 16 });
  t.match(html, `2 recipients in United States (Pacific Time, America/Los_Angeles) are outside their window: they receive it from 08:00 their time, <time datetime="${iso(pacific)}">${shown(pacific)}</time> in your zone.`, 'California at 08:00 Pacific');
  const hawaii = start.toUTC().set({ hour: 18 });
  t.match(html, `1 recipient in United States (Hawaii-Aleutian Standard Time, Pacific/Honolulu) is outside their window: they receive it from 08:00 their time, <time datetime="${iso(hawaii)}">`, 'Hawaii at 08:00 Hawaii');
  t.match(html, /1 recipient in United States \(time zone not known from the number, so the window open in all of its zones; the last to open is [^)]+\) is outside/, 'a number of no single zone: the whole country');
  t.notMatch(html, 'America/New_York) ', 'New York is not waiting');
});

t.test('recipients outside their send window at the chosen time are counted by country, with when they receive it', async (t) => {
  const { client, campaign, addRecipients } = await setUp(t);
  await addRecipients(1, 'US', '+1202555');
  // Wednesday 03:00 in Paris: France and Germany open at 08:00; the United States only once its
  // last zone (Adak in winter, Honolulu in summer) reaches 08:00, which is 18:00 UTC either way.
  const start = wednesdayAt(3);
  const html = await forecast(client, campaign.id, { when: 'later', at: typed(start) });
  t.match(html, `Sent at (<time datetime="${iso(start)}">${shown(start)}</time>, ${ZONE}):`, 'for the time typed, in the account zone');
  t.match(html, '<strong data-forecast="open">0</strong> of 4 recipients can receive it at that time; <strong data-forecast="waiting">4</strong> are outside their send window', 'how many can and cannot receive it then');
  const eight = start.set({ hour: 8 });
  t.match(html, `2 recipients in France (Europe/Paris) are outside their window: they receive it from 08:00 their time, <time datetime="${iso(eight)}">${shown(eight)}</time> in your zone.`);
  t.match(html, `1 recipient in Germany (Europe/Berlin) is outside their window: they receive it from 08:00 their time, <time datetime="${iso(eight)}">`);
  const american = start.toUTC().set({ hour: 18 });
  t.match(html, new RegExp(`1 recipient in United States \\(time zone not known from the number, so the window open in all of its zones; the last to open is (America/Adak|Pacific/Honolulu)\\) is outside their window: they receive it from 08:00 in \\1, <time datetime="${iso(american)}">${shown(american)}</time> in your zone.`), 'a country of many zones: from the opening of its last one');
  t.ok(html.indexOf('in France') < html.indexOf('in United States'), 'soonest opening first');
  t.equal(timeIn(html, 'finish'), iso(american.plus({ milliseconds: 20 })), 'the last group opens last: the finish is its opening plus 1 message at 50 a second');
  t.match(html, "At the gateway's limit of 50 messages a second. An estimate");

  // As a plain page: the campaign scheduled for that time shows it in the input and the forecast.
  t.equal((await client.post(`/create/${campaign.id}/schedule`, { when: 'later', at: typed(start) })).statusCode, 303);
  const page = flat((await client.get(`/create/${campaign.id}/recipients`)).body);
  t.match(page, `name="at" value="${typed(start)}"`, 'the schedule input shows the scheduled time');
  t.match(page, '<strong data-forecast="open">0</strong> of 4 recipients');
  t.match(page, `2 recipients in France (Europe/Paris) are outside their window: they receive it from 08:00 their time`);
  t.match(page, `hx-get="/create/${campaign.id}/forecast" hx-trigger="change" hx-target="#forecast"`, 'the schedule controls ask for the forecast as they change');
  // The fragment's address as a full page: step 2 with that schedule typed in.
  const full = flat((await client.get(`/create/${campaign.id}/forecast?when=later&at=${typed(start.set({ hour: 12 }))}`)).body);
  t.match(full, '<title>', 'a whole page');
  t.match(full, `name="at" value="${typed(start.set({ hour: 12 }))}"`);
  t.match(full, '<strong data-forecast="open">3</strong> of 4 recipients can receive it at that time; <strong data-forecast="waiting">1</strong> is outside');
});

t.test('the forecast follows the schedule: another time, send now, a time that cannot be used', async (t) => {
  const { orm, account, client, campaign } = await setUp(t);
  const noon = await forecast(client, campaign.id, { when: 'later', at: typed(wednesdayAt(12)) });
  t.match(noon, '<strong data-forecast="open">3</strong> of 3 recipients can receive it at that time.', 'at noon everyone can receive it');
  t.notMatch(noon, 'outside their window');

  const late = await forecast(client, campaign.id, { when: 'later', at: typed(wednesdayAt(21, 30)) });
  const thursday = wednesdayAt(8).plus({ days: 1 });
  t.match(late, '<strong data-forecast="open">0</strong> of 3 recipients');
  t.match(late, `2 recipients in France (Europe/Paris) are outside their window: they receive it from 08:00 their time, <time datetime="${iso(thursday)}">${shown(thursday)}</time> in your zone.`, 'at 21:30 they wait for the next morning');

  // Send now, with the account's windows overridden so that every country is closed right now:
  // it opens at 20:00 when it is morning, at 02:00 when it is afternoon or evening.
  const now = DateTime.now().setZone(ZONE);
  const opens = now.hour < 12 ? 20 : 2;
  const window = { from: `${String(opens).padStart(2, '0')}:00`, to: `${String(opens + 1).padStart(2, '0')}:00` };
  const closedNow = { weekdays: window, saturday: window, sunday: window };
  await query(orm, 'update account set quiet_hour_rules = ?::jsonb where id = ?', [JSON.stringify({ FR: closedNow, '*': closedNow }), account.id]);
  let opening = now.set({ hour: opens, minute: 0, second: 0, millisecond: 0 });
  if (opening <= now) opening = opening.plus({ days: 1 });
  const sendNow = await forecast(client, campaign.id, { when: 'now', at: typed(wednesdayAt(12)) });
  t.match(sendNow, 'Sent now (<time datetime=', '"send now" wins over the date typed beside it');
  t.match(sendNow, '<strong data-forecast="open">0</strong> of 3 recipients can receive it at that time; <strong data-forecast="waiting">3</strong> are outside');
  t.match(sendNow, `2 recipients in France (Europe/Paris) are outside their window: they receive it from ${window.from} their time, <time datetime="${iso(opening)}">`, "the account's own window decides");

  // A country whose window never opens: said so, and left out of the finish.
  const closed = { weekdays: null, saturday: null, sunday: null };
  await query(orm, 'update account set quiet_hour_rules = ?::jsonb where id = ?', [JSON.stringify({ FR: closed }), account.id]);
  const never = await forecast(client, campaign.id, { when: 'later', at: typed(wednesdayAt(12)) });
  t.match(never, '2 recipients in France (Europe/Paris) are outside their window, which does not open in the next two weeks: they will not receive it unless their quiet hours change.');
  t.equal(timeIn(never, 'finish'), iso(wednesdayAt(12).plus({ milliseconds: 20 })), 'the finish counts the one recipient in Germany only');

  const past = await forecast(client, campaign.id, { when: 'later', at: typed(now.minus({ hours: 2 })) });
  t.match(past, 'Choose a time at least one minute from now. Until then, this is for sending now.', 'a time in the past is not forecast as such');
  t.match(past, 'Sent now (');
});

t.test('with quiet hours off, everyone gets it at once', async (t) => {
  const { orm, account, client, campaign } = await setUp(t);
  await query(orm, 'update account set quiet_hours = false where id = ?', [account.id]);
  const start = wednesdayAt(3);
  const html = await forecast(client, campaign.id, { when: 'later', at: typed(start) });
  t.match(html, `Quiet hours are off: all 3 go at once, finishing about <time datetime="${iso(start.plus({ milliseconds: 60 }))}">`, '3 messages at 50 a second from 03:00');
  t.notMatch(html, 'outside their window');
});

t.test('the estimated finish grows with the recipients and with a slower gateway', async (t) => {
  const { client, campaign, em, addRecipients } = await setUp(t);
  const start = wednesdayAt(12);
  const finishOf = async () => timeIn(await forecast(client, campaign.id, { when: 'later', at: typed(start) }), 'finish');
  t.equal(await finishOf(), iso(start.plus({ milliseconds: 60 })), '3 recipients at 50 a second');
  await em.nativeUpdate(Gateway, { isDefault: true }, { messagesPerSecond: 1 });
  t.equal(await finishOf(), iso(start.plus({ seconds: 3 })), '3 recipients at 1 a second');
  await addRecipients(117, 'FR', '+33700');
  t.equal(await finishOf(), iso(start.plus({ seconds: 120 })), '120 recipients at 1 a second');
  t.match(await forecast(client, campaign.id, { when: 'later', at: typed(start) }), 'about 2 min after the start');

  // Waiting recipients start at their opening: at 03:00 all wait until 08:00.
  t.equal(timeIn(await forecast(client, campaign.id, { when: 'later', at: typed(wednesdayAt(3)) }), 'finish'), iso(wednesdayAt(8).plus({ seconds: 120 })));
});

t.test('no finish is promised without a gateway that can send, and nothing without recipients', async (t) => {
  const { client, campaign, em, account } = await setUp(t);
  await em.nativeUpdate(Gateway, { isDefault: true }, { isDefault: false });
  const html = await forecast(client, campaign.id, { when: 'later', at: typed(wednesdayAt(12)) });
  t.match(html, '<strong data-forecast="open">3</strong> of 3 recipients');
  t.match(html, 'No finish time without a gateway that can send: There is no default gateway: choose one under Settings → Gateways.');
  t.notMatch(html, 'data-forecast="finish"');

  await em.nativeUpdate(Contact, { account: account.id }, { smsOptIn: false });
  const none = await forecast(client, campaign.id, { when: 'now' });
  t.match(none, '<section id="forecast"', 'the place for the forecast stays');
  t.notMatch(none, 'recipient', 'but it says nothing when no one can receive the campaign');
});
