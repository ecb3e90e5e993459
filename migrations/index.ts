// The ordered list of migrations. Never edit a migration once it has landed; add a new one.
import { Migration20261127000000Foundation } from './Migration20261127000000Foundation.js';
import { Migration20261127000100Contacts } from './Migration20261127000100Contacts.js';
import { Migration20261127000200ContactImports } from './Migration20261127000200ContactImports.js';
import { Migration20261127000300SegmentIndexes } from './Migration20261127000300SegmentIndexes.js';
import { Migration20261127000400Campaigns } from './Migration20261127000400Campaigns.js';
import { Migration20261127000500Credits } from './Migration20261127000500Credits.js';
import { Migration20261127000600Gateways } from './Migration20261127000600Gateways.js';
import { Migration20261127000700Sending } from './Migration20261127000700Sending.js';
import { Migration20261201000000NoLaunchingStatus } from './Migration20261201000000NoLaunchingStatus.js';
import { Migration20261202000000MessageSkippedAt } from './Migration20261202000000MessageSkippedAt.js';
import { Migration20261202000100CampaignFormToken } from './Migration20261202000100CampaignFormToken.js';
import { Migration20261202000200ClickOncePerMinute } from './Migration20261202000200ClickOncePerMinute.js';
import { Migration20261202000300Inbound } from './Migration20261202000300Inbound.js';
import { Migration20261202000400InboundReports } from './Migration20261202000400InboundReports.js';
import { Migration20261203000000LaunchedCampaignsReleaseRecipients } from './Migration20261203000000LaunchedCampaignsReleaseRecipients.js';
import { Migration20261203000100MessagesByContact } from './Migration20261203000100MessagesByContact.js';
import { Migration20261204000000Automation } from './Migration20261204000000Automation.js';
import { Migration20261204000100AutomationMessages } from './Migration20261204000100AutomationMessages.js';
import { Migration20261204100000EmailSmtpMessageId } from './Migration20261204100000EmailSmtpMessageId.js';
import { Migration20261204200000UnprocessedTriggers } from './Migration20261204200000UnprocessedTriggers.js';
import { Migration20261205000000MessageBounce } from './Migration20261205000000MessageBounce.js';
import { Migration20261205000100Rollups } from './Migration20261205000100Rollups.js';

export const migrationsList = [
  { name: 'Migration20261127000000Foundation', class: Migration20261127000000Foundation },
  { name: 'Migration20261127000100Contacts', class: Migration20261127000100Contacts },
  { name: 'Migration20261127000200ContactImports', class: Migration20261127000200ContactImports },
  { name: 'Migration20261127000300SegmentIndexes', class: Migration20261127000300SegmentIndexes },
  { name: 'Migration20261127000400Campaigns', class: Migration20261127000400Campaigns },
  { name: 'Migration20261127000500Credits', class: Migration20261127000500Credits },
  { name: 'Migration20261127000600Gateways', class: Migration20261127000600Gateways },
  { name: 'Migration20261127000700Sending', class: Migration20261127000700Sending },
  { name: 'Migration20261201000000NoLaunchingStatus', class: Migration20261201000000NoLaunchingStatus },
  { name: 'Migration20261202000000MessageSkippedAt', class: Migration20261202000000MessageSkippedAt },
  { name: 'Migration20261202000100CampaignFormToken', class: Migration20261202000100CampaignFormToken },
  { name: 'Migration20261202000200ClickOncePerMinute', class: Migration20261202000200ClickOncePerMinute },
  { name: 'Migration20261202000300Inbound', class: Migration20261202000300Inbound },
  { name: 'Migration20261202000400InboundReports', class: Migration20261202000400InboundReports },
  { name: 'Migration20261203000000LaunchedCampaignsReleaseRecipients', class: Migration20261203000000LaunchedCampaignsReleaseRecipients },
  { name: 'Migration20261203000100MessagesByContact', class: Migration20261203000100MessagesByContact },
  { name: 'Migration20261204000000Automation', class: Migration20261204000000Automation },
  { name: 'Migration20261204000100AutomationMessages', class: Migration20261204000100AutomationMessages },
  { name: 'Migration20261204100000EmailSmtpMessageId', class: Migration20261204100000EmailSmtpMessageId },
  { name: 'Migration20261204200000UnprocessedTriggers', class: Migration20261204200000UnprocessedTriggers },
  { name: 'Migration20261205000000MessageBounce', class: Migration20261205000000MessageBounce },
  { name: 'Migration20261205000100Rollups', class: Migration20261205000100Rollups },
];
