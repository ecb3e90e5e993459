import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';
import { Account } from './account.entity.js';

export const ROLES = ['owner', 'marketer', 'viewer'] as const;
export type UserRole = (typeof ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  filters: tenantFilter(),
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    email: p.string().length(254).unique(),
    passwordHash: p.string().length(200).hidden(),
    role: p.enum([...ROLES]).default('marketer'),
    disabledAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account'] }],
});
export type User = InferEntity<typeof User>;
