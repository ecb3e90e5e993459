// What the campaigns module offers the modules above it (DESIGN.md "Module order"): other modules
// import it from here only.
export { campaignJson } from './campaign-json.js';
export { campaignViewHelpers, sendingNotices } from './campaign-labels.js';
export { campaignTab, dispatchesMessages, isLaunched, moveTo, statusesMovingTo } from './campaign-status.js';
export { Campaign, type CampaignKind, type CampaignStatus } from './campaign.entity.js';
export { campaignsSendingFrom, campaignsUsing, checkCampaignText, checkText, knownPlaceholders, placeholderError, reachOf, recipientChoice, scheduleCampaign, type TextCheck } from './campaigns.service.js';
export { countParts } from './sms-text.js';
export { registerCampaignUsers, registerScheduleListener } from './hooks.js';
export { renderTemplate } from './sms-text.js';
export { findLinks, linkPosition, newToken, placeholderValues, prepareTemplate, renderMessage, TOKEN_LENGTH, type Recipient, type Template } from './message-render.js';
export { recipientFilterOn, type RecipientFilter } from './recipients.queries.js';
export { sendability, type Sendability, type Problem, type TestNumber } from './sendability.js';
