import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { tenantFilter } from '../../db/tenant.js';
import { Account } from '../accounts/index.js';
import type { SegmentRules } from './segment-rules.js';

export const Segment = defineEntity({
  name: 'Segment',
  tableName: 'segment',
  filters: tenantFilter(),
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    name: p.string().length(100),
    rules: p.json<SegmentRules>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['account', 'name'], name: 'segment_account_name_unique' }],
});
export type Segment = InferEntity<typeof Segment>;
