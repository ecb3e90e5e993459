import t from 'tap';
import { DEFAULT_WINDOWS, SendWindow, isOpen, nextOpening, parseWindow, quietHoursOf, windowsFor, zonesOf } from '../../src/modules/accounts/quiet-hours.js';
import { timeZoneOfNumber, zoneAbbreviation, zoneName } from '../../src/phone-zone.js';

const quiet = quietHoursOf({ quietHours: true, quietHourRules: null, timeZone: 'Europe/Paris' });
const at = (iso: string) => new Date(iso);

t.test('France receives marketing on weekdays 08-20 and Saturday 10-18, never on Sunday', async (t) => {
  const fr = windowsFor(quiet, 'FR');
  const zones = zonesOf('FR', 'UTC');
  t.same(zones, ['Europe/Paris']);
  // 2026-11-30 is a Monday; Paris is UTC+1 in winter.
  t.ok(isOpen(fr, zones, at('2026-11-30T07:00:00Z')), 'Monday 08:00 Paris is open');
  t.notOk(isOpen(fr, zones, at('2026-11-30T06:59:00Z')), 'Monday 07:59 is closed');
  t.notOk(isOpen(fr, zones, at('2026-11-30T19:00:00Z')), 'Monday 20:00 is closed');
  t.notOk(isOpen(fr, zones, at('2026-11-28T08:30:00Z')), 'Saturday 09:30 is closed');
  t.ok(isOpen(fr, zones, at('2026-11-28T09:00:00Z')), 'Saturday 10:00 is open');
  t.notOk(isOpen(fr, zones, at('2026-11-29T12:00:00Z')), 'Sunday noon is closed');
  t.same(nextOpening(fr, zones, at('2026-11-28T17:30:00Z')), at('2026-11-30T07:00:00Z'), 'after Saturday 18:00 the next opening is Monday 08:00');
});

t.test('a country across several time zones is open only while it is daytime in all of them', async (t) => {
  const us = windowsFor(quiet, 'US');
  const zones = zonesOf('US', 'UTC');
  t.ok(zones.includes('America/New_York') && zones.includes('Pacific/Honolulu'));
  // 14:00 UTC = 09:00 New York but 04:00 Honolulu.
  t.notOk(isOpen(us, zones, at('2026-11-30T14:00:00Z')));
  const opening = nextOpening(us, zones, at('2026-11-30T14:00:00Z'))!;
  t.ok(isOpen(us, zones, opening), 'the next opening is open everywhere');
  t.equal(opening.toISOString(), '2026-11-30T18:00:00.000Z', '08:00 in Honolulu');
});

t.test('an account can turn quiet hours off or replace a country window', async (t) => {
  const off = new SendWindow(quietHoursOf({ quietHours: false, quietHourRules: null, timeZone: 'UTC' }));
  const sunday = at('2026-11-29T12:00:00Z');
  t.same(off.openingFor('FR', null, sunday), sunday, 'off: always open');
  const custom = new SendWindow(quietHoursOf({ quietHours: true, quietHourRules: { FR: { weekdays: null, saturday: null, sunday: { from: '11:00', to: '14:00' } } }, timeZone: 'UTC' }));
  t.same(custom.openingFor('FR', null, sunday), sunday, 'Sunday 13:00 Paris is in the custom window');
  t.same(custom.openingFor('DE', null, at('2026-11-29T05:00:00Z')), at('2026-11-29T07:00:00Z'), 'other countries keep the 08-21 default');
  t.same(DEFAULT_WINDOWS.FR!.sunday, null);
});

t.test('numbers without a country follow the account time zone', async (t) => {
  const window = new SendWindow(quietHoursOf({ quietHours: true, quietHourRules: null, timeZone: 'Asia/Tokyo' }));
  // 22:00 UTC = 07:00 Tokyo: closed until 08:00 Tokyo.
  t.same(window.openingFor(null, null, at('2026-11-30T22:00:00Z')), at('2026-11-30T23:00:00Z'));
});

t.test('typed windows are checked', async (t) => {
  t.same(parseWindow('08:00', '20:00'), { from: '08:00', to: '20:00' });
  t.equal(parseWindow('', ''), null, 'both empty: closed that day');
  t.match(parseWindow('8', '20:00'), /HH:MM/);
  t.match(parseWindow('20:00', '08:00'), /end after it starts/);
});

t.test("a US list is held in each recipient's own time zone, taken from the number", async (t) => {
  const window = new SendWindow(quietHoursOf({ quietHours: true, quietHourRules: null, timeZone: 'America/New_York' }));
  // Wednesday 2 December 2026, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles, 05:00 in Honolulu.
  const now = at('2026-12-02T15:00:00Z');
  const zoneOf = (phone: string) => timeZoneOfNumber(phone);
  t.equal(zoneOf('+12125550100'), 'America/New_York');
  t.equal(zoneOf('+14155550100'), 'America/Los_Angeles');
  t.equal(zoneOf('+18085550100'), 'Pacific/Honolulu');
  t.same(window.openingFor('US', zoneOf('+12125550100'), now), now, 'New York numbers go at once');
  t.same(window.openingFor('US', zoneOf('+14155550100'), now), at('2026-12-02T16:00:00Z'), 'California numbers wait until 08:00 Pacific');
  t.same(window.openingFor('US', zoneOf('+18085550100'), now), at('2026-12-02T18:00:00Z'), 'Hawaii numbers wait until 08:00 Hawaii');
  // At 20:30 New York (01:30 UTC) New York is closing at 21:00, and it is 17:30 in California.
  t.same(window.openingFor('US', 'America/Los_Angeles', at('2026-12-03T02:30:00Z')), at('2026-12-03T02:30:00Z'), 'after 21:00 New York, California still receives');
  t.not(window.openingFor('US', 'America/New_York', at('2026-12-03T02:30:00Z'))!.getTime(), at('2026-12-03T02:30:00Z').getTime(), '…and New York does not');
});

t.test('a number whose prefix spans several zones uses the window open in all of its country', async (t) => {
  const window = new SendWindow(quietHoursOf({ quietHours: true, quietHourRules: null, timeZone: 'UTC' }));
  t.equal(timeZoneOfNumber('+15555550100'), null, '+1 555 maps to no single zone');
  t.equal(timeZoneOfNumber('+5215512345678'), null, 'a Mexican mobile prefix spans several zones');
  // 15:00 UTC: open in New York, not yet in Honolulu (or on the Aleutians): the intersection opens at 18:00 UTC.
  t.same(window.openingFor('US', null, at('2026-12-02T15:00:00Z')), at('2026-12-02T18:00:00Z'));
});

t.test("France keeps its Sunday rule in the recipient's zone, and a zone set by hand wins", async (t) => {
  const window = new SendWindow(quietHoursOf({ quietHours: true, quietHourRules: null, timeZone: 'UTC' }));
  t.equal(timeZoneOfNumber('+33612345678'), 'Europe/Paris');
  const sunday = at('2026-11-29T12:00:00Z');
  t.same(window.openingFor('FR', 'Europe/Paris', sunday), at('2026-11-30T07:00:00Z'), 'Sunday: Monday 08:00 Paris');
  // A French number whose contact lives in Montréal (zone set by hand): French rules, Montréal's clock.
  t.same(window.openingFor('FR', 'America/Toronto', at('2026-11-30T12:00:00Z')), at('2026-11-30T13:00:00Z'), '07:00 Montréal waits until 08:00 Montréal');
});

t.test('zones are named as people say them', async (t) => {
  const winter = at('2026-12-02T16:00:00Z');
  t.equal(zoneName('America/Los_Angeles', winter), 'Pacific Time');
  t.equal(zoneAbbreviation('America/Los_Angeles', winter), 'PST');
  t.equal(zoneAbbreviation('America/Los_Angeles', at('2026-07-01T16:00:00Z')), 'PDT');
});
