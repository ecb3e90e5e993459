import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import type { SegmentRules } from './segment-rules.js';
import { timestamps, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const Segment = defineEntity({
  name: 'Segment',
  tableName: 'segment',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(100),
    rules: p.json<SegmentRules>(),
    ...timestamps(),
  },
  uniques: [{ properties: ['account', 'name'], name: 'segment_account_name_unique' }],
});
export type Segment = InferEntity<typeof Segment>;
