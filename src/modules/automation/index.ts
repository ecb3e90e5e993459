// What the automation module offers the modules above it (inbound, reporting).
export { EventTrigger, ExternalEvent, EXTERNAL_EVENT_SOURCES } from './external-event.entity.js';
export { ensureExternalEvent, recordTriggersOn, type Trigger } from './external-events.queries.js';
