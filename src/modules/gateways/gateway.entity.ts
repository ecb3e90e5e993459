import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';
import { GATEWAY_KINDS } from './registry.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

// Where messages go out and reports come back. `secret` authenticates the gateway's webhooks
// (a shared secret the operator pastes into the gateway, so it is kept readable); `config`
// holds the kind's options (declared by the kind in kinds/, listed in registry.ts).
export const Gateway = defineEntity({
  name: 'Gateway',
  tableName: 'gateway',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    kind: p.enum([...GATEWAY_KINDS]),
    name: p.string().length(100),
    config: p.json<Record<string, string>>().default('{}'),
    messagesPerSecond: p.integer().default(50),
    isDefault: p.boolean().default(false),
    secret: p.string().length(64).onCreate(() => randomBytes(24).toString('base64url')),
    ...createdAt(),
    /** The rate limiter's virtual clock: the time the next message may leave (shared by every
     * dispatching process, so the limit holds across them). */
    rateClock: p.datetime().nullable(),
    /** Webhook requests refused (bad secret, malformed body, unknown message, too large). */
    rejectedRequests: p.integer().default(0),
    /** An owner's switch: a disabled gateway sends nothing and cannot be the default. */
    disabled: p.boolean().default(false),
    /** Sends in a row that got no answer (gateway-health.ts); an accepted message resets it. */
    consecutiveFailures: p.integer().default(0),
    /** Set when it kept failing: nothing goes out through it until an owner resumes it. */
    pausedAt: p.datetime().nullable(),
    /** Why it was paused, as its page and its campaigns' pages show it. */
    problem: p.text().nullable(),
  },
  indexes: [{ properties: ['account'], name: 'gateway_account_index' }],
});
export type Gateway = InferEntity<typeof Gateway>;
