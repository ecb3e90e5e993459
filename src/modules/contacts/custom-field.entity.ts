import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const FIELD_TYPES = ['text', 'number', 'date', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

// A field the account adds to its contacts. `key` is how imports, segments and placeholders
// ({{key}}) name it: lower-case letters, digits and underscores.
export const CustomField = defineEntity({
  name: 'CustomField',
  tableName: 'custom_field',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    key: p.string().length(40),
    label: p.string().length(100),
    type: p.enum([...FIELD_TYPES]),
    ...createdAt(),
  },
  uniques: [{ properties: ['account', 'key'], name: 'custom_field_account_key_unique' }],
});
export type CustomField = InferEntity<typeof CustomField>;
