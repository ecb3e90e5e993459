import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from './base-entity.js';

export const ROLES = ['owner', 'marketer', 'viewer'] as const;
export type UserRole = (typeof ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    email: p.string().length(254).unique(),
    passwordHash: p.string().length(200).hidden(),
    role: p.enum([...ROLES]).default('marketer'),
    disabledAt: p.datetime().nullable(),
    ...createdAt(),
    lastLoginAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account'] }],
});
export type User = InferEntity<typeof User>;
