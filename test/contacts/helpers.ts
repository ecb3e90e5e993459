// Shared by the import tests: the id in an import URL, and waiting for an import job to end.
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';

export const importIdOf = (location: unknown) => /\/contacts\/imports\/([0-9a-f-]{36})$/.exec(String(location ?? ''))![1];

/** Polls the import until it is done or failed (the job runs in the background). */
export async function waitForImport(orm: MikroORM, accountId: string, id: string): Promise<ContactImport> {
  for (let i = 0; i < 600; i++) {
    const found = await withAccount(orm.em, accountId).findOneOrFail(ContactImport, { id });
    if (found.status === 'done' || found.status === 'failed') return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the import did not finish');
}
