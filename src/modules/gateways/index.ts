// What the gateways module offers the modules above it (DESIGN.md "Module order": gateways are
// leaves that know accounts, never contacts, campaigns or sending).
export { MAX_INBOUND_TEXT, PENDING_REPORT, REPORT_STATUSES, WebhookRejection, type Query, type WebhookRequest, type InboundSms, type DeliveryReport, type AdapterContext, type GatewayAdapter, type GatewayKind, type GatewayRow, type OutgoingMessage, type ReportStatus, type SendResult } from './gateway-kind.js';
export { BOUNCES, type Bounce } from './bounces.js';
export { Gateway } from './gateway.entity.js';
export { InboundNumber } from './inbound-number.entity.js';
export { addInboundNumber } from './inbound-numbers.service.js';
export { registerGatewayReadyListener, registerNumberUsageCheck, type NumberUser } from './hooks.js';
export { DEFAULT_KEYWORDS, defaultKeywords, keywordKey, wordsOf, type KeywordLists } from './number-keywords.js';
export { createGateway, gatewayFor, giveSimulatorGateway, makeDefault } from './gateways.service.js';
export { adapterFor, cannotSend, inboundAnswer, GATEWAY_KINDS, gatewayKind, gatewayKinds, parseDeliveryReport, parseInbound, webhookUrls } from './registry.js';
export { gatewayAlert, PAUSE_AFTER_FAILURES, recordGatewayHealthOn, sendOrRetry } from './gateway-health.js';
export { setPrivateUrls } from './outbound-http.js';
export { SimulatorMessage } from './simulator-message.entity.js';
export { SimulatorReporter } from './simulator-reporter.js';
export { eraseGatewayCopies } from './simulator.queries.js';
export { GatewayParams, NO_SUCH_GATEWAY, WebhookGateways, WebhookQuery, type KnownGateway } from './webhook-gateways.js';
