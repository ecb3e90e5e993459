// Dates as people read them: in the account's time zone, the one way every page writes them.
import { DateTime } from 'luxon';

/** DD-MM-YYYY HH:MM in `timeZone`; empty for no date. */
export function formatInZone(date: Date | null | undefined, timeZone: string): string {
  return date ? DateTime.fromJSDate(date).setZone(timeZone).toFormat('dd-LL-yyyy HH:mm') : '';
}
