// The typed environment: one schema, read once at start-up. A bad value ends start-up with one
// clear line (ConfigError), never a stack trace. There is no NODE_ENV branching: behaviour
// follows explicit settings only.
import path from 'node:path';

export type Role = 'web' | 'worker' | 'all';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  mongodbUrl: string | undefined;
  smtpUrl: string | undefined;
  /** The From of emails (EMAIL_FROM): "Name <address>" or an address. */
  emailFrom: string;
  publicUrl: string;
  sessionSecret: string | undefined;
  role: Role;
  logLevel: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Idle and absolute session lifetimes, in seconds. */
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
  /** The largest CSV file an import accepts, in bytes (IMPORT_MAX_MB, default 200). */
  importMaxBytes: number;
  /** Which proxies' X-Forwarded-For is believed (TRUST_PROXY): none by default; a hop count, or
   * addresses and CIDR ranges separated by commas, as Fastify's `trustProxy` takes them. */
  trustProxy: false | number | string;
  /** Requests a minute one API key may make (API_RATE_LIMIT, default 600), counted in each
   * process: N web processes allow up to N times as many. */
  apiRequestsPerMinute: number;
  /** How long a message claimed by a dispatcher may stay `sending` before it counts as a dead
   * dispatcher's and is queued again (SENDING_CLAIM_LEASE_SECONDS, default 30, the sending
   * module's CLAIM_LEASE_SECONDS). */
  claimLeaseSeconds: number;
  /** Whether gateways may reach loopback and private addresses (GATEWAY_PRIVATE_URLS, default
   * allow: a self-hosted Kannel usually runs beside Textcast). Link-local and cloud metadata
   * addresses are refused either way. */
  gatewayPrivateUrls: 'allow' | 'deny';
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function trustProxy(env: Env): false | number | string {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (!raw || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Addresses or CIDR ranges: IPv4, IPv6 and Fastify's names (loopback, linklocal, uniquelocal).
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(part))) {
    throw new ConfigError(`TRUST_PROXY must be a number of hops or proxy addresses (CIDR allowed) separated by commas, got "${raw}"`);
  }
  return parts.join(',');
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${redact(raw)}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${redact(raw)}"`);
  }
  if (!parsed.hostname) throw new ConfigError(`${name} has no host name: "${redact(raw)}"`);
  return raw;
}

/** Hide the password of a URL before it appears in a message. */
export function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

export const DEFAULT_EMAIL_FROM = 'Textcast <no-reply@localhost>';

/** EMAIL_FROM: an address, alone or after a display name ("Textcast <no-reply@example.com>"). */
function emailFrom(env: Env): string {
  const raw = (env.EMAIL_FROM ?? '').trim();
  if (!raw) return DEFAULT_EMAIL_FROM;
  if (!/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(raw)) throw new ConfigError(`EMAIL_FROM must be an email address, alone or as "Name <address>", got "${raw}"`);
  return raw;
}

function gatewayPrivateUrls(env: Env): 'allow' | 'deny' {
  const raw = (env.GATEWAY_PRIVATE_URLS ?? '').trim();
  if (!raw) return 'allow';
  if (raw !== 'allow' && raw !== 'deny') throw new ConfigError(`GATEWAY_PRIVATE_URLS must be allow or deny, got "${raw}"`);
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const role = (env.ROLE || 'all') as Role;
  if (!['web', 'worker', 'all'].includes(role)) throw new ConfigError(`ROLE must be web, worker or all, got "${env.ROLE}"`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port || 3000}`;
  const adminEmail = env.TEXTCAST_ADMIN_EMAIL || undefined;
  if (adminEmail && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) throw new ConfigError(`TEXTCAST_ADMIN_EMAIL is not an email address: "${adminEmail}"`);
  const adminPassword = env.TEXTCAST_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) throw new ConfigError('TEXTCAST_ADMIN_PASSWORD must have at least 8 characters');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 5433, 1, 65535),
    mongodbUrl: url(env, 'MONGODB_URL', ['mongodb:', 'mongodb+srv:']),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    emailFrom: emailFrom(env),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    sessionSecret: env.SESSION_SECRET || undefined,
    role,
    logLevel,
    adminEmail,
    adminPassword,
    sessionIdleSeconds: integer(env, 'SESSION_IDLE_MINUTES', 60, 1, 60 * 24 * 30) * 60,
    sessionMaxSeconds: integer(env, 'SESSION_MAX_HOURS', 12, 1, 24 * 90) * 3600,
    importMaxBytes: integer(env, 'IMPORT_MAX_MB', 200, 1, 100_000) * 1024 * 1024,
    trustProxy: trustProxy(env),
    apiRequestsPerMinute: integer(env, 'API_RATE_LIMIT', 600, 1, 1_000_000),
    claimLeaseSeconds: integer(env, 'SENDING_CLAIM_LEASE_SECONDS', 30, 5, 3600),
    gatewayPrivateUrls: gatewayPrivateUrls(env),
  };
}
