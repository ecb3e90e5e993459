// Shared by the import tests: uploading a file as a browser does, the data directory uploads are
// stored in, the id in an import URL, the mapping page's choices, and waiting for an import job to end.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { eventually, type buildTestApp, type Client } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';

/** A multipart form as a browser sends it: the fields first, then the file (if any). */
export function multipart(fields: Record<string, string>, file: { filename: string; content: Buffer | string } | null) {
  const boundary = '----textcast' + crypto.randomBytes(8).toString('hex');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: text/csv\r\n\r\n`));
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads a file from the imports page (`fields` replace the page's CSRF token when given). */
export async function upload(client: Client, filename: string, content: Buffer | string | null, fields?: Record<string, string>) {
  await client.get('/contacts/imports');
  const { payload, contentType } = multipart(fields ?? { _csrf: client.csrf }, content === null ? null : { filename, content });
  return client.app.inject({ method: 'POST', url: '/contacts/imports', payload, headers: { 'content-type': contentType, cookie: client.cookieHeader } });
}

/** A data directory of the test's own (uploads are stored under DATA_DIR/imports). */
export function dataDir(t: Parameters<typeof buildTestApp>[0]): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-import-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { DATA_DIR: dir };
}

/** The option selected in the mapping select of a column. */
export function selected(html: string, column: number): string | null {
  const select = new RegExp(`<select name="column_${column}"[\\s\\S]*?</select>`).exec(html);
  if (!select) throw new Error(`no select for column ${column}`);
  return /<option value="([^"]*)" selected/.exec(select[0])?.[1] ?? null;
}

export const importIdOf = (location: unknown) => /\/contacts\/imports\/([0-9a-f-]{36})$/.exec(String(location ?? ''))![1];

/** Polls the import until it is done or failed (the job runs in the background). */
export async function waitForImport(orm: MikroORM, accountId: string, id: string): Promise<ContactImport> {
  return eventually('the import to finish', () => withAccount(orm.em, accountId).findOneOrFail(ContactImport, { id }), {
    until: (found) => found.status === 'done' || found.status === 'failed',
    timeoutMs: 40_000, // was 600 tries 50 ms apart, plus the time of each try
    intervalMs: 50,
  });
}
