// The Email outbox's CSV: every email of the chosen status, newest first, times in the account's
// zone (cells and times as every export writes them).
import type pg from 'pg';
import { csvChunks, csvTime } from '../contacts/index.js';
import { outboxBatchesOn } from './email-outbox.queries.js';

export function outboxCsvOn(client: pg.ClientBase, accountId: string, status: string, zone: string): AsyncGenerator<string> {
  return csvChunks(
    ['id', 'created_at', 'to', 'contact_id', 'first_name', 'last_name', 'subject', 'template', 'status', 'skip_reason', 'error', 'attempts', 'next_attempt_at', 'sent_at'],
    outboxBatchesOn(client, accountId, status),
    (row) => [
      row.id,
      csvTime(row.created_at, zone),
      row.to_address,
      row.contact_id,
      row.first_name,
      row.last_name,
      row.subject,
      row.template_name,
      row.status,
      row.skip_reason,
      row.error,
      row.attempts,
      row.status === 'queued' ? csvTime(row.not_before, zone) : '',
      csvTime(row.sent_at, zone),
    ],
  );
}
