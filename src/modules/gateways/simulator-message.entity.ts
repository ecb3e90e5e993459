import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { ownedByAccount } from '../accounts/index.js';

// What the simulator gateway accepted: one row per client reference (a resent message finds its
// row and is not delivered twice), with the delivery report it will post to its webhook.
export const SimulatorMessage = defineEntity({
  name: 'SimulatorMessage',
  tableName: 'simulator_message',
  filters: tenantFilter(),
  properties: {
    id: p.uuid().primary(),
    ...ownedByAccount(),
    gatewayId: p.uuid(),
    clientRef: p.string().length(64),
    phone: p.string().length(16),
    sender: p.string().length(16),
    body: p.text(),
    parts: p.smallint(),
    acceptedAt: p.datetime().defaultRaw('now()'),
    /** The report to send: delivered, undelivered or failed, with an error code for the last two. */
    reportStatus: p.string().length(20),
    errorCode: p.string().length(50).nullable(),
    /** When the report is due (or retried); null once the webhook took it. */
    reportAt: p.datetime().nullable(),
    reportAttempts: p.smallint().default(0),
  },
  uniques: [{ properties: ['gatewayId', 'clientRef'], name: 'simulator_message_client_ref_unique' }],
  indexes: [{ expression: 'create index "simulator_message_report_index" on "simulator_message" ("report_at") where "report_at" is not null', name: 'simulator_message_report_index' }],
});
export type SimulatorMessage = InferEntity<typeof SimulatorMessage>;
