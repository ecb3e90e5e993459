// A contact's time zone: the zone its send window is read in (accounts/quiet-hours.ts). Chosen
// by a user ('set', which nothing derived overwrites), or the one zone its number maps to
// ('number', phone-zone.ts; null when the number's prefix spans several zones or none, and the
// window open across all of its country's zones applies). Every path that writes a contact's
// number asks this one function: the form, the API, the import and a contact created by an
// inbound message.
import { isKnownTimeZone, timeZoneOfNumber, zoneName } from '../../phone-zone.js';
import { countryLabel } from '../../phone.js';

export type TimeZoneSource = 'number' | 'set';

/** Zones as typed → their canonical name (null: not a zone). An import column repeats a few
 * values a million times, and asking Intl costs about 20 µs; the cache is bounded all the same. */
const typedZones = new Map<string, string | null>();

function canonicalZone(text: string): string | null {
  let zone = typedZones.get(text);
  if (zone === undefined) {
    zone = text.length <= 64 && isKnownTimeZone(text) ? new Intl.DateTimeFormat('en', { timeZone: text }).resolvedOptions().timeZone : null;
    if (typedZones.size >= 1000) typedZones.clear();
    typedZones.set(text, zone);
  }
  return zone;
}

/** The zone a contact's number gives it: none for a number that is not valid E.164 (a bad number,
 * kept as written, whose digits could read as some other place). */
export function numberZone(e164: string | null): string | null {
  return e164 ? timeZoneOfNumber(e164) : null;
}

/** The zone for a number (E.164, or null when it is not valid) and what a user typed for it. */
export function contactTimeZone(e164: string | null, chosen: unknown): { ok: true; zone: string | null; source: TimeZoneSource } | { ok: false; reason: string } {
  const text = chosen === undefined || chosen === null ? '' : String(chosen).trim();
  if (!text) return { ok: true, zone: numberZone(e164), source: 'number' };
  // The canonical spelling ("america/new_york" → "America/New_York"), as the runtime knows it.
  const zone = canonicalZone(text);
  if (!zone) return { ok: false, reason: `"${text.slice(0, 64)}" is not a time zone: write one such as America/New_York or Europe/Paris, or leave it empty for the zone of the number.` };
  return { ok: true, zone, source: 'set' };
}

/** The zones the contact form's select offers: the runtime's list, and the contact's own zone when
 * that list lacks it ("UTC", "Etc/GMT+5": zones the API and imports accept), so that saving the
 * form for another change does not silently put the contact back on the zone of its number. */
export function zoneChoices(chosen: string | undefined): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return chosen && !zones.includes(chosen) && isKnownTimeZone(chosen) ? [chosen, ...zones] : zones;
}

/** What the contact page says of a contact's zone: which one, and where it came from. */
export function describeContactZone(contact: { timeZone?: string | null; timeZoneSource?: string | null; country?: string | null }): string {
  const fallback = contact.country
    ? `its send window is the one open in all the time zones of ${countryLabel(contact.country)} at once`
    : "its send window is read in the account's time zone";
  if (!contact.timeZoneSource) return `Not worked out from the number yet (this takes a few minutes after an upgrade); until then ${fallback}.`;
  if (!contact.timeZone) return `Not known from the number (its prefix spans several time zones, or none): ${fallback}.`;
  return `${contact.timeZone} (${zoneName(contact.timeZone)}), ${contact.timeZoneSource === 'set' ? 'set by hand' : 'from the number'}.`;
}
