// What intake makes of the numbers a gateway passes, whether the message came through the
// webhook (intake.routes.ts) or was typed in the simulator's form (simulate.service.ts).
import { normalisePhone } from '../../phone.js';

/** A number as gateways write it: E.164, or digits without the + (Kannel's habit). Null when it
 * does not parse (the message is still stored, with the sender as given). */
export function asE164(raw: string): string | null {
  const text = raw.trim();
  const parsed = normalisePhone(/^[0-9]{8,15}$/.test(text) ? `+${text}` : text);
  return parsed.ok ? parsed.e164 : null;
}
