import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { timestamps, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';
import { Gateway } from './gateway.entity.js';

// A phone number of the account that receives SMS (DESIGN.md "Data"): replies and keywords
// arrive on it through its gateway, and a campaign sent from it can be answered. Its keyword
// lists start with its country's defaults (number-keywords.ts) and are the owner's to change.
export const InboundNumber = defineEntity({
  name: 'InboundNumber',
  tableName: 'inbound_number',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    /** E.164. */
    number: p.string().length(16),
    country: p.string().length(2).nullable(),
    gateway: () => p.manyToOne(Gateway).deleteRule('restrict'),
    optOutKeywords: p.array().default('{}'),
    optInKeywords: p.array().default('{}'),
    helpKeywords: p.array().default('{}'),
    /** Sent back to HELP/INFO. */
    helpReply: p.string().length(480),
    /** The one message sent after an opt-out by keyword. */
    optOutReply: p.string().length(480),
    /** Sent back after an opt-in keyword. */
    optInReply: p.string().length(480),
    ...timestamps(),
  },
  uniques: [{ properties: ['account', 'number'], name: 'inbound_number_account_number_unique' }],
  indexes: [{ properties: ['gateway'], name: 'inbound_number_gateway_index' }],
});
export type InboundNumber = InferEntity<typeof InboundNumber>;
