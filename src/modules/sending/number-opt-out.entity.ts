import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { Account } from '../accounts/index.js';
import { Contact } from '../contacts/index.js';
import { InboundNumber } from '../gateways/index.js';

// A contact who opted out of campaigns sent from one inbound number only (an inbound event of
// type inboundUnsubscribeHandler): launches and the dispatcher skip them for campaigns whose
// sender is that number ("opted out of this sender number"); other senders still reach them.
// It lives with sending, which honours it, and knows both the contact and the number.
export const NumberOptOut = defineEntity({
  name: 'NumberOptOut',
  tableName: 'number_opt_out',
  filters: tenantFilter(),
  properties: {
    account: () => p.manyToOne(Account).primary().deleteRule('cascade'),
    contact: () => p.manyToOne(Contact).primary().deleteRule('cascade'),
    inboundNumber: () => p.manyToOne(InboundNumber).primary().deleteRule('cascade'),
    keyword: p.string().length(30),
    at: p.datetime().defaultRaw('now()'),
  },
});
export type NumberOptOut = InferEntity<typeof NumberOptOut>;
