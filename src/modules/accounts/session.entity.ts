import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.js';
import { ownedByAccount } from './base-entity.js';

// A signed-in browser. The cookie carries a random token; the row's id is its SHA-256, so a
// leaked table does not leak sessions. Not tenant-filtered: it is looked up before the account
// is known, by that unguessable hash only.
export const Session = defineEntity({
  name: 'Session',
  tableName: 'session',
  properties: {
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    ...ownedByAccount(),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(300).nullable(),
  },
  indexes: [{ properties: ['user'] }, { properties: ['lastSeenAt'] }],
});
export type Session = InferEntity<typeof Session>;
