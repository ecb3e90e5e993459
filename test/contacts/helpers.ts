// Shared by the import tests: the id in an import URL, and waiting for an import job to end.
import type { MikroORM } from '@mikro-orm/postgresql';
import { eventually } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';

export const importIdOf = (location: unknown) => /\/contacts\/imports\/([0-9a-f-]{36})$/.exec(String(location ?? ''))![1];

/** Polls the import until it is done or failed (the job runs in the background). */
export async function waitForImport(orm: MikroORM, accountId: string, id: string): Promise<ContactImport> {
  return eventually('the import to finish', () => withAccount(orm.em, accountId).findOneOrFail(ContactImport, { id }), {
    until: (found) => found.status === 'done' || found.status === 'failed',
    timeoutMs: 40_000, // was 600 tries 50 ms apart, plus the time of each try
    intervalMs: 50,
  });
}
