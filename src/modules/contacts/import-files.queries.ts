// Housekeeping of uploaded CSV files: an upload that was never started keeps its file in
// DATA_DIR/imports; after a day the file is removed and the import marked failed, saying why.
// Hand-written SQL across accounts: a system job, which touches only abandoned uploads.
import fs from 'node:fs';
import type { EntityManager } from '@mikro-orm/postgresql';

export const ABANDONED_AFTER_HOURS = 24;

export async function expireAbandonedUploads(em: EntityManager): Promise<number> {
  const rows = await em.getConnection().execute<{ file_path: string }[]>(
    `update contact_import set status = 'failed', error_message = ?
     where status = 'uploaded' and created_at < now() - make_interval(hours => ?)
     returning file_path`,
    [`The file was not imported within ${ABANDONED_AFTER_HOURS} hours of its upload, so it was deleted. Upload it again to import it.`, ABANDONED_AFTER_HOURS],
  );
  for (const { file_path } of rows) fs.rmSync(file_path, { force: true });
  return rows.length;
}
