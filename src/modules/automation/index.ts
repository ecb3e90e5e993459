// What the automation module offers the modules above it (inbound, reporting).
export { EventTrigger, ExternalEvent, EXTERNAL_EVENT_SOURCES } from './external-event.entity.js';
export { ensureExternalEvent, recordTriggersOn, type Trigger } from './external-events.queries.js';
export { Program, ProgramStep, ProgramRun, RunStep } from './program.entity.js';
export { EmailTemplate, EmailMessage } from './email.entity.js';
export { programsUsing } from './external-events.service.js';
export { ProgramRunner } from './program-runner.js';
export { EmailSender, type EmailSettings } from './email-sender.js';
export { eraseFromEmails } from './email.queries.js';
export { registerEventOwners, type EventOwner } from './hooks.js';
export { programsSendingCampaign, programsUsingList } from './programs.queries.js';
