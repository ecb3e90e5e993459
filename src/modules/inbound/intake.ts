// What intake makes of the numbers a gateway passes, whether the message came through the
// webhook (intake.routes.ts) or was typed in the simulator's form (simulate.service.ts), and the
// country the processor prices a reply to it in.
import { normalisePhone, type PhoneResult } from '../../phone.js';

/** Numbers already read (about 14 µs each): a burst repeats its inbound number on every message,
 * its senders often, and the processor reads a sender again for its country. Cleared when full. */
const read = new Map<string, PhoneResult>();
const MAX_READ = 50_000;

function readNumber(text: string): PhoneResult {
  let parsed = read.get(text);
  if (!parsed) {
    parsed = normalisePhone(text);
    if (read.size >= MAX_READ) read.clear();
    read.set(text, parsed);
  }
  return parsed;
}

/** A number as gateways write it: E.164, or digits without the + (Kannel's habit). Null when it
 * does not parse (the message is still stored, with the sender as given). */
export function asE164(raw: string): string | null {
  const text = raw.trim();
  const parsed = readNumber(/^[0-9]{8,15}$/.test(text) ? `+${text}` : text);
  return parsed.ok ? parsed.e164 : null;
}

/** The country of an E.164 number (for a reply's price and a new contact). */
export function countryOf(phone: string): string | null {
  const parsed = readNumber(phone);
  return parsed.ok ? parsed.country : null;
}
