// SESSION_SECRET signs cookies and CSRF tokens. When it is not set, one is generated on the first
// start and kept in DATA_DIR, so sessions survive restarts.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export function sessionSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'session-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
