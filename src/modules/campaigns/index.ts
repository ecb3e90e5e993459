// What the campaigns module offers the modules above it (DESIGN.md "Module order"): other modules
// import it from here only.
export { campaignJson } from './campaign-json.js';
export { campaignViewHelpers } from './campaign-labels.js';
export { isLaunched, moveTo } from './campaign-status.js';
export { Campaign } from './campaign.entity.js';
export { campaignsUsing, checkCampaignText, checkText, formatSchedule, knownPlaceholders, reachOf, recipientChoice, scheduleCampaign } from './campaigns.service.js';
export { registerScheduleListener } from './hooks.js';
export { findLinks, linkPosition, newToken, prepareTemplate, renderMessage, TOKEN_LENGTH, type Template } from './message-render.js';
export { recipientFilterOn, type RecipientFilter } from './recipients.queries.js';
