// What the sending module offers the modules above it (DESIGN.md "Module order"): other modules
// import it from here only.
export { dispatchAfterGatewayReady, keepLaunchJob } from './campaign-sending.js';
export { markUnknownDeliveries } from './delivery-reports.queries.js';
export { defineSendingJobs, startSendingSweep, dispatchAutomationSoon } from './sending.jobs.js';
export { queueAutomationSmsOn, type AutomationSms, type QueuedAutomationSms } from './automation-sms.queries.js';
export { eraseFromMessages } from './erasure.queries.js';
export { ReplySender } from './replies.js';
export { CLAIM_LEASE_SECONDS } from './dispatcher.js';
export { queueRepliesOn, type QueuedReply } from './replies.queries.js';
export { NumberOptOut } from './number-opt-out.entity.js';
export { contactMessages } from './contact-messages.queries.js';
export { contactSenderOptOuts } from './number-opt-outs.queries.js';
export { CAMPAIGN_TOTALS_SUMS, campaignRollupRows, foldCampaignRollupOn, rebuildCampaignRollupOn, SENT_STATUSES, type CampaignRollupRow } from './campaign-rollup.queries.js';
export { campaignStats, type CampaignStats } from './campaign-sending.queries.js';
