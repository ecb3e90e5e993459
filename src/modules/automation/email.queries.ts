// TEMP STUB (not committed)
import type pg from 'pg';
export async function queueEmailsOn(_c: pg.ClientBase, emails: { accountId: string; contactId: string; templateId: string; runId: string | null; eventData: Record<string, unknown> }[]): Promise<{ id: string; status: 'queued' | 'skipped'; skipReason: string | null }[]> { return emails.map(() => ({ id: '0', status: 'skipped', skipReason: 'stub' })); }
