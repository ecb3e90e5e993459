// The hooks through which lower modules ask higher ones (DESIGN.md "Module order"), registered in
// one place. Opening the application's ORM (src/orm.ts) calls it, so every process that touches
// the data (server, worker, CLI, tests, benchmarks) has its modules wired; registering twice is
// harmless.
import { registerAccountSetup } from './modules/accounts/index.js';
import { giveSimulatorGateway, registerGatewayReadyListener, registerNumberUsageCheck } from './modules/gateways/index.js';
import { registerUsageCheck, registerErasureStep, registerMessageHistory, registerConversation, registerSenderOptOuts } from './modules/contacts/index.js';
import { campaignsSendingFrom, campaignsUsing, registerCampaignUsers, registerScheduleListener } from './modules/campaigns/index.js';
import { dispatchAfterGatewayReady, keepLaunchJob, eraseFromMessages, contactMessages, contactSenderOptOuts } from './modules/sending/index.js';
import { eraseFromEmails, programsSendingCampaign, programsUsingList, registerEventOwners } from './modules/automation/index.js';
import { contactConversation, eraseFromInbound, inboundEventOwners } from './modules/inbound/index.js';

export function wireModules(): void {
  // A new account starts with the simulator as its default gateway.
  registerAccountSetup(giveSimulatorGateway);
  // A segment or list that a campaign sends to cannot be deleted.
  registerUsageCheck(campaignsUsing);
  // … or that an automation program adds contacts to.
  registerUsageCheck(programsUsingList);
  // An automation campaign that a program sends cannot be deleted.
  registerCampaignUsers(programsSendingCampaign);
  // An inbound number that a campaign still has to send from cannot be deleted.
  registerNumberUsageCheck(campaignsSendingFrom);
  // A scheduled campaign has its launch job at its time.
  registerScheduleListener(keepLaunchJob);
  // A gateway resumed after failing (or enabled) dispatches the campaigns that waited for it.
  registerGatewayReadyListener(dispatchAfterGatewayReady);
  // Erasing a contact erases its messages and the gateways' copies of them.
  registerErasureStep(eraseFromMessages);
  // … and the SMS it sent us, and the data of its event triggers.
  registerErasureStep(eraseFromInbound);
  // … and the emails automation sent it.
  registerErasureStep(eraseFromEmails);
  // A contact's page lists the messages it received.
  registerMessageHistory(contactMessages);
  // A contact's page shows its conversation: inbound reads both directions.
  registerConversation(contactConversation);
  // … and the sender numbers it opted out of alone, which sending honours.
  registerSenderOptOuts(contactSenderOptOuts);
  // An inbound event's external event is managed with it: the events page links there.
  registerEventOwners(inboundEventOwners);
}
