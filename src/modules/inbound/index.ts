// What the inbound module offers the entry files (reporting will read its tables).
export { InboundProcessor } from './processor.js';
export { contactConversation } from './conversation.queries.js';
export { eraseFromInbound } from './erasure.queries.js';
export { inboundEventOwners } from './events.service.js';
export { IN_STOP_LIST, LATEST_CAMPAIGN_BEFORE_REPLY } from './inbound-lists.queries.js';
