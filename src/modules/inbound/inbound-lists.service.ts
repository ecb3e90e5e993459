// The Inbound SMS tab's lists as a person asks for them: filters typed in the account's zone, and
// their CSV downloads (cells by contacts' csvCell; times as ISO 8601 with the account's offset,
// which a spreadsheet reads and which says its zone).
import type pg from 'pg';
import { DateTime } from 'luxon';
import { ValidationError } from '../../errors.js';
import { actorName } from '../../plugins/view.js';
import { csvChunks, csvTime } from '../contacts/index.js';
import { inboxBatchesOn, stopBatchesOn, type InboxFilters, type InboxRow, type StopFilters, type StopRow } from './inbound-lists.queries.js';

/** The STOP list's filters as typed: dates (YYYY-MM-DD, in the account's zone) and a number id. */
export interface StopQuery {
  from?: string;
  to?: string;
  number?: string;
}

/** The start of a day typed as YYYY-MM-DD in `zone`; a day that does not exist is refused. */
function startOfDay(field: 'from' | 'to', text: string, zone: string): DateTime {
  const day = DateTime.fromISO(text, { zone });
  if (!day.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new ValidationError({ [field]: `${text} is not a date (YYYY-MM-DD).` }, `The ${field} date ${text} is not a date.`);
  return day.startOf('day');
}

/** From the start of the "from" day to the end of the "to" day, both in the account's zone. */
export function stopFilters(query: StopQuery, zone: string): StopFilters {
  return {
    since: query.from ? startOfDay('from', query.from, zone).toJSDate() : null,
    before: query.to ? startOfDay('to', query.to, zone).plus({ days: 1 }).toJSDate() : null,
    numberId: query.number || null,
  };
}


/** Both lists end with the campaign estimate; the header says it is one. */
const ESTIMATE_HEADER = ['latest_campaign_before_reply_estimate', 'latest_campaign_sent_at'] as const;
const estimateCells = (row: StopRow | InboxRow, zone: string) => [row.campaign_name ?? '', csvTime(row.campaign_sent_at, zone)];

export function stopCsvOn(client: pg.ClientBase, accountId: string, filters: StopFilters, zone: string): AsyncGenerator<string> {
  return csvChunks(
    ['phone', 'first_name', 'last_name', 'is_contact', 'inbound_number', 'keyword', 'replied_at', ...ESTIMATE_HEADER],
    stopBatchesOn(client, accountId, filters),
    (row) => [row.phone ?? row.from_raw, row.first_name, row.last_name, row.contact_id ? 'yes' : 'no', row.inbound_number, row.keyword, csvTime(row.received_at, zone), ...estimateCells(row, zone)],
  );
}

export function inboxCsvOn(client: pg.ClientBase, accountId: string, filters: InboxFilters, zone: string): AsyncGenerator<string> {
  return csvChunks(
    ['received_at', 'phone', 'first_name', 'last_name', 'inbound_number', 'text', 'captured_email', 'status', 'error', 'handled', 'handled_at', 'handled_by', ...ESTIMATE_HEADER],
    inboxBatchesOn(client, accountId, filters),
    (row) => [
      csvTime(row.received_at, zone),
      row.phone ?? row.from_raw,
      row.first_name,
      row.last_name,
      row.inbound_number,
      row.text,
      row.captured_email,
      row.status,
      row.error,
      row.handled_at ? 'yes' : 'no',
      csvTime(row.handled_at, zone),
      row.handled_by ? actorName(row.handled_by) : '',
      ...estimateCells(row, zone),
    ],
  );
}
