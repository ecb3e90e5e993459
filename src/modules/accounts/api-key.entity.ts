import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from './base-entity.js';

// Only a SHA-256 of the key is stored; the key itself is shown once, when it is created.
// `prefix` (the first characters) lets a user recognise a key in the list.
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(100),
    prefix: p.string().length(16),
    keyHash: p.string().length(64).unique(),
    ...createdAt(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account'] }],
});
export type ApiKey = InferEntity<typeof ApiKey>;
