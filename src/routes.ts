// The one route table: every module's routes with its prefix.
import type { FastifyInstance } from 'fastify';
import { healthRoutes } from './modules/accounts/health.routes.js';
import { authRoutes } from './modules/accounts/auth.routes.js';
import { settingsRoutes } from './modules/accounts/settings.routes.js';
import { accountApiRoutes } from './modules/accounts/account.api.js';
import { reportingRoutes } from './modules/reporting/reporting.routes.js';
import { dashboardRoutes } from './modules/reporting/dashboard.routes.js';
import { campaignReportRoutes } from './modules/reporting/campaign-report.routes.js';
import { campaignsRoutes } from './modules/campaigns/campaigns.routes.js';
import { inboundRoutes } from './modules/inbound/inbound.routes.js';
import { eventsRoutes } from './modules/inbound/events.routes.js';
import { inboundEventsApiRoutes } from './modules/inbound/events.api.js';
import { contactsRoutes } from './modules/contacts/contacts.routes.js';
import { contactListsRoutes } from './modules/contacts/contact-lists.routes.js';
import { customFieldsRoutes } from './modules/contacts/custom-fields.routes.js';
import { contactsApiRoutes } from './modules/contacts/contacts.api.js';
import { campaignsApiRoutes } from './modules/campaigns/campaigns.api.js';
import { sendingApiRoutes } from './modules/sending/sending.api.js';
import { creditsRoutes } from './modules/accounts/credits.routes.js';
import { pricesRoutes } from './modules/accounts/prices.routes.js';
import { gatewaysRoutes } from './modules/gateways/gateways.routes.js';
import { inboundNumbersRoutes } from './modules/gateways/inbound-numbers.routes.js';
import { automationRoutes } from './modules/automation/automation.routes.js';
import { externalEventsRoutes } from './modules/automation/external-events.routes.js';
import { externalEventsApiRoutes } from './modules/automation/external-events.api.js';
import { segmentsAndExportRoutes } from './modules/contacts/segments.routes.js';
import { contactImportRoutes } from './modules/contacts/contact-imports.routes.js';
import { webhookRoutes } from './modules/sending/webhooks.routes.js';
import { inboundWebhookRoutes } from './modules/inbound/intake.routes.js';
import { campaignSendingRoutes } from './modules/sending/campaign-sending.routes.js';
import { linkRoutes } from './modules/sending/links.routes.js';
import { quietHoursRoutes } from './modules/sending/quiet-hours.routes.js';

export async function registerRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (_request, reply) => reply.redirect('/dashboard', 303));
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(dashboardRoutes);
  await app.register(reportingRoutes);
  await app.register(campaignReportRoutes); // /reporting/:id
  await app.register(campaignsRoutes, { prefix: '/create' });
  await app.register(campaignSendingRoutes, { prefix: '/create' });
  await app.register(linkRoutes); // /u/<token>, /l/<token>
  await app.register(inboundRoutes, { prefix: '/inbound' });
  await app.register(eventsRoutes, { prefix: '/inbound/events' });
  await app.register(contactsRoutes, { prefix: '/contacts' });
  await app.register(contactListsRoutes, { prefix: '/contacts/lists' });
  await app.register(customFieldsRoutes, { prefix: '/contacts/fields' });
  await app.register(contactImportRoutes, { prefix: '/contacts/imports' });
  await app.register(segmentsAndExportRoutes, { prefix: '/contacts' }); // /contacts/segments, /contacts/export
  await app.register(automationRoutes, { prefix: '/automation' });
  await app.register(externalEventsRoutes, { prefix: '/automation/events' });
  await app.register(settingsRoutes, { prefix: '/settings' });
  await app.register(creditsRoutes, { prefix: '/settings/credits' });
  await app.register(pricesRoutes, { prefix: '/settings/prices' });
  await app.register(gatewaysRoutes, { prefix: '/settings/gateways' });
  await app.register(inboundNumbersRoutes, { prefix: '/settings/inbound-numbers' });
  await app.register(quietHoursRoutes, { prefix: '/settings/quiet-hours' });
  await app.register(accountApiRoutes, { prefix: '/api/v1' });
  await app.register(contactsApiRoutes, { prefix: '/api/v1' });
  await app.register(campaignsApiRoutes, { prefix: '/api/v1' });
  await app.register(sendingApiRoutes, { prefix: '/api/v1' });
  await app.register(inboundEventsApiRoutes, { prefix: '/api/v1' });
  await app.register(externalEventsApiRoutes, { prefix: '/api/v2' });
  await app.register(webhookRoutes, { prefix: '/webhooks' });
  await app.register(inboundWebhookRoutes, { prefix: '/webhooks' });
}
