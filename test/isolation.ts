// Account isolation, as one reusable check: account A owns records; a user of account B (and B's
// API key) asks for each of them through every route and must get 404, with A's data unchanged.
// A module that adds routes naming a record adds them here, with a fixture that creates the
// record in account A. test/accounts/isolation-complete.test.ts fails, naming the route, when a
// route with a path parameter is neither here nor in its allow-list; it reads each `url` with
// placeholder ids, so a url only puts fixture values where the route has its parameters.
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, createKey, type Tenant } from './helper.js';
import { ApiKey } from '../src/modules/accounts/api-key.entity.js';
import { withAccount } from '../src/db/tenant.js';
import { Contact } from '../src/modules/contacts/contact.entity.js';
import { ContactList } from '../src/modules/contacts/contact-list.entity.js';
import { Segment } from '../src/modules/contacts/segment.entity.js';
import { CustomField } from '../src/modules/contacts/custom-field.entity.js';
import { Campaign } from '../src/modules/campaigns/campaign.entity.js';
import { Gateway } from '../src/modules/gateways/gateway.entity.js';
import { Price } from '../src/modules/accounts/price.entity.js';
import { ContactImport } from '../src/modules/contacts/contact-import.entity.js';
import { InboundNumber } from '../src/modules/gateways/inbound-number.entity.js';
import { ExternalEvent } from '../src/modules/automation/external-event.entity.js';
import { Program, ProgramStep } from '../src/modules/automation/program.entity.js';
import { InboundEvent, InboundEventKeyword } from '../src/modules/inbound/inbound.entity.js';
import { addInboundNumber } from '../src/modules/gateways/inbound-numbers.service.js';
import { EmailTemplate } from '../src/modules/automation/email.entity.js';

/** Ids of records in account A, by name. */
export type Fixture = Record<string, string>;

export interface IsolatedRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The URL, built from account A's fixture. */
  url: (a: Fixture) => string;
  /** Form fields (browser routes) or JSON body (API routes), possibly built from the fixture. */
  body?: Record<string, unknown> | ((a: Fixture) => Record<string, unknown>);
}

export interface IsolationModule {
  name: string;
  /** Creates account A's records and returns their ids. */
  fixture: (orm: MikroORM, a: Tenant) => Promise<Fixture>;
  browser: IsolatedRoute[];
  api: IsolatedRoute[];
}

export const isolationModules: IsolationModule[] = [
  {
    name: 'settings',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const gateway = await em.findOneOrFail(Gateway, {});
      const price = em.create(Price, { account: a.account, country: 'FR', partPriceMicros: 45_000 });
      await em.flush();
      return { gatewayId: gateway.id, priceId: price.id };
    },
    browser: [
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}/default` },
      { method: 'GET', url: (a) => `/settings/gateways/${a.gatewayId}` },
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}`, body: { name: 'Taken over', mps: '5' } },
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}/disable` },
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}/enable` },
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}/resume` },
      { method: 'POST', url: (a) => `/settings/gateways/${a.gatewayId}/test` },
      { method: 'POST', url: (a) => `/settings/prices/${a.priceId}/delete` },
    ],
    api: [],
  },
  {
    name: 'inbound numbers',
    fixture: async (orm, a) => {
      const number = await addInboundNumber(withAccount(orm.em, a.account.id), a.account, { number: '+33644000001' });
      return { numberId: number.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/settings/inbound-numbers/${a.numberId}` },
      { method: 'POST', url: (a) => `/settings/inbound-numbers/${a.numberId}`, body: { optOutKeywords: 'STOP', optInKeywords: 'START', helpKeywords: 'HELP', helpReply: 'Stolen', optOutReply: 'Stolen', optInReply: 'Stolen' } },
      { method: 'POST', url: (a) => `/settings/inbound-numbers/${a.numberId}/reset-keywords` },
      { method: 'GET', url: (a) => `/settings/inbound-numbers/${a.numberId}/delete` },
      { method: 'POST', url: (a) => `/settings/inbound-numbers/${a.numberId}/delete` },
    ],
    api: [],
  },
  {
    name: 'campaigns',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const list = em.create(ContactList, { account: a.account, name: 'Campaign list' });
      const campaign = em.create(Campaign, { account: a.account, name: 'Secret campaign', sender: 'ACME', body: 'Hi', createdBy: 'test', recipientSource: 'list', list });
      await em.flush();
      return { campaignId: campaign.id, campaignListId: list.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/create/${a.campaignId}` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/edit` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/edit`, body: { name: 'Stolen', sender: 'ACME', body: 'Hi' } },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/recipients` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/recipients`, body: (a) => ({ source: 'list', list_id: a.campaignListId }) },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/schedule`, body: { when: 'now' } },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/forecast?when=now` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/unschedule` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/preview` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/copy` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/delete` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/delete` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/progress` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/launch` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/pause` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/resume` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/cancel` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/cancel` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/test`, body: { phones: '+33612345678' } },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/tests` },
      { method: 'GET', url: (a) => `/create/${a.campaignId}/resend-insufficient-credit` },
      { method: 'POST', url: (a) => `/create/${a.campaignId}/resend-insufficient-credit` },
      { method: 'GET', url: (a) => `/reporting/${a.campaignId}` },
      { method: 'GET', url: (a) => `/reporting/${a.campaignId}/figures` },
      { method: 'GET', url: (a) => `/reporting/${a.campaignId}/messages.csv` },
    ],
    api: [
      { method: 'GET', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}` },
      { method: 'PATCH', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}`, body: { name: 'Stolen' } },
      { method: 'DELETE', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/schedule`, body: { at: 'now' } },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/launch` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/pause` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/resume` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/cancel` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/test`, body: { phones: ['+33612345678'] } },
      { method: 'GET', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/stats` },
      { method: 'POST', url: (a) => `/api/v1/sms-campaigns/${a.campaignId}/resend-insufficient-credit` },
    ],
  },
  {
    name: 'contacts',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const contact = em.create(Contact, { account: a.account, phone: '+33612340001', firstName: 'Secret' });
      const list = em.create(ContactList, { account: a.account, name: 'A list' });
      const field = em.create(CustomField, { account: a.account, key: 'secret', label: 'Secret', type: 'text' });
      await em.flush();
      await em.getConnection().execute('insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, a.account.id]);
      return { contactId: String(contact.id), listId: list.id, fieldId: field.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/contacts/${a.contactId}` },
      { method: 'GET', url: (a) => `/contacts/${a.contactId}/edit` },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}`, body: { phone: '+33612340002' } },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/opt-in`, body: { sms_opt_in: 'no' } },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/lists`, body: { list: 'none' } },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/lists/${a.listId}/remove` },
      { method: 'GET', url: (a) => `/contacts/${a.contactId}/delete` },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/delete` },
      { method: 'POST', url: (a) => `/contacts/bulk`, body: (a) => ({ ids: a.contactId, list: a.listId }) },
      { method: 'GET', url: (a) => `/contacts/lists/${a.listId}` },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/add`, body: { phones: '+33612340001' } },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/remove`, body: (a) => ({ ids: a.contactId }) },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/rename`, body: { name: 'Stolen' } },
      { method: 'GET', url: (a) => `/contacts/lists/${a.listId}/delete` },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/delete` },
      { method: 'POST', url: (a) => `/contacts/fields/${a.fieldId}/delete` },
    ],
    api: [
      { method: 'DELETE', url: (a) => `/api/v1/contacts/${a.contactId}` },
      { method: 'POST', url: (a) => `/api/v1/contact-lists/${a.listId}/contacts`, body: { phones: ['+33612340001'] } },
    ],
  },
  {
    name: 'accounts',
    fixture: async (orm, a) => {
      const marketer = await addUser(orm, a.account, 'marketer');
      await createKey(orm, a.account);
      const key = await withAccount(orm.em, a.account.id).findOneOrFail(ApiKey, {});
      return { userId: marketer.id, apiKeyId: key.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/settings/users/${a.userId}` },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/role`, body: { role: 'viewer' } },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/disable` },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/enable` },
      { method: 'POST', url: (a) => `/settings/api-keys/${a.apiKeyId}/revoke` },
    ],
    api: [],
  },
  {
    name: 'contacts-import',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const base = { account: a.account, createdBy: a.owner.email, fileName: 'secret.csv', fileSize: 40, delimiter: ',', header: ['phone', 'name'], preview: [['+33612340009', 'Secret']] };
      const uploaded = em.create(ContactImport, { ...base, filePath: '/nonexistent/uploaded.csv', mapping: ['phone', null], total: 1 });
      const done = em.create(ContactImport, { ...base, filePath: '/nonexistent/done.csv', mapping: ['phone', null], status: 'done', total: 2, processed: 2, created: 1, invalid: 1 });
      await em.flush();
      await em.getConnection().execute('insert into contact_import_error (import_id, account_id, line, phone, reason) values (?, ?, 3, ?, ?)', [done.id, a.account.id, '12', 'Secret reason']);
      return { uploadedId: uploaded.id, doneId: done.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/contacts/imports/${a.uploadedId}` },
      { method: 'POST', url: (a) => `/contacts/imports/${a.uploadedId}/delimiter`, body: { delimiter: 'semicolon' } },
      { method: 'POST', url: (a) => `/contacts/imports/${a.uploadedId}/start`, body: { column_0: 'phone', existing: 'update' } },
      { method: 'POST', url: (a) => `/contacts/imports/${a.uploadedId}/fields?column=0`, body: { column_0: '', new_label_0: 'Stolen', new_type_0: 'text' } },
      { method: 'GET', url: (a) => `/contacts/imports/${a.uploadedId}/progress` },
      { method: 'GET', url: (a) => `/contacts/imports/${a.doneId}` },
      { method: 'GET', url: (a) => `/contacts/imports/${a.doneId}/progress` },
      { method: 'GET', url: (a) => `/contacts/imports/${a.doneId}/errors.csv` },
    ],
    api: [],
  },
  {
    name: 'segments and export',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const list = em.create(ContactList, { account: a.account, name: 'Segment source list' });
      const segment = em.create(Segment, { account: a.account, name: 'Secret segment', rules: { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }] } });
      await em.flush();
      return { segmentId: segment.id, segmentListId: list.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/contacts/segments/${a.segmentId}` },
      { method: 'POST', url: (a) => `/contacts/segments/${a.segmentId}`, body: { name: 'Stolen', 'groups[0][conditions][0][field]': 'country', 'groups[0][conditions][0][operator]': 'equals', 'groups[0][conditions][0][value]': 'DE' } },
      { method: 'POST', url: (a) => `/contacts/segments/${a.segmentId}`, body: { name: 'Stolen', op: 'add:0' } },
      { method: 'GET', url: (a) => `/contacts/segments/${a.segmentId}/count` },
      { method: 'GET', url: (a) => `/contacts/segments/${a.segmentId}/delete` },
      { method: 'POST', url: (a) => `/contacts/segments/${a.segmentId}/delete` },
      { method: 'GET', url: (a) => `/contacts/export?segment=${a.segmentId}` },
      { method: 'GET', url: (a) => `/contacts/export?list=${a.segmentListId}` },
    ],
    api: [],
  },
  {
    name: 'inbound events',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const gateway = await em.findOneOrFail(Gateway, {});
      const number = em.create(InboundNumber, { account: a.account, number: '+33644000000', country: 'FR', gateway, optOutKeywords: ['STOP'], optInKeywords: ['START'], helpKeywords: ['HELP'], helpReply: 'Help', optOutReply: 'Bye', optInReply: 'Hi' });
      const externalEvent = em.create(ExternalEvent, { account: a.account, name: 'SMS +33644000000 Autoresponder: Secret event', source: 'inbound' });
      const event = em.create(InboundEvent, { account: a.account, inboundNumber: number, name: 'Secret event', type: 'inboundResponder', keywords: ['SECRET'], replyText: 'Secret reply', externalEvent });
      em.create(InboundEventKeyword, { account: a.account, inboundNumber: number, keyword: 'SECRET', event });
      await em.flush();
      return { eventId: event.id, inboundNumberId: number.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/inbound/events/${a.eventId}/edit` },
      { method: 'POST', url: (a) => `/inbound/events/${a.eventId}`, body: (a) => ({ name: 'Stolen', keywords: 'STOLEN', type: 'inboundResponder', inbound_number: a.inboundNumberId, reply_text: 'Stolen' }) },
      { method: 'GET', url: (a) => `/inbound/events/${a.eventId}/delete` },
      { method: 'POST', url: (a) => `/inbound/events/${a.eventId}/delete` },
    ],
    api: [],
  },
  {
    name: 'external events',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const event = em.create(ExternalEvent, { account: a.account, name: 'secret_event', source: 'api' });
      await em.flush();
      await em.getConnection().execute(`insert into event_trigger (account_id, event_id, data) values (?, ?, '{"secret": "data"}')`, [a.account.id, event.id]);
      return { externalEventId: event.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/automation/events/${a.externalEventId}` },
      { method: 'GET', url: (a) => `/automation/events/${a.externalEventId}/triggers.csv` },
      { method: 'GET', url: (a) => `/automation/events/${a.externalEventId}/delete` },
      { method: 'POST', url: (a) => `/automation/events/${a.externalEventId}/delete` },
    ],
    api: [{ method: 'POST', url: (a) => `/api/v2/event/${a.externalEventId}/trigger`, body: { key_id: 'phone', external_id: '+33612340001', data: { stolen: true } } }],
  },
  {
    name: 'inbound messages',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const gateway = await em.findOneOrFail(Gateway, {});
      const number = em.create(InboundNumber, { account: a.account, number: '+33644000009', country: 'FR', gateway, optOutKeywords: ['STOP'], optInKeywords: ['START'], helpKeywords: ['HELP'], helpReply: 'Help', optOutReply: 'Bye', optInReply: 'Hi' });
      await em.flush();
      // A message whose processing failed: in A's inbox, and retryable by A's owners.
      const [message] = await em.getConnection().execute<{ id: string }[]>(
        `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status, attempts, error)
         values (?, ?, 'secret-1', ?, '+33612340001', '+33612340001', '+33644000009', 'Secret text', now(), 'failed', 5, 'Secret error') returning id`,
        [a.account.id, gateway.id, number.id],
      );
      return { inboundMessageId: String(message!.id) };
    },
    browser: [
      { method: 'POST', url: (a) => `/inbound/inbox/${a.inboundMessageId}/handled`, body: { handled: 'yes' } },
      { method: 'POST', url: (a) => `/inbound/inbox/${a.inboundMessageId}/retry` },
    ],
    api: [],
  },
  {
    name: 'automation programs',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const event = em.create(ExternalEvent, { account: a.account, name: 'Secret event', source: 'api' });
      const program = em.create(Program, { account: a.account, name: 'Secret program', event, status: 'active' });
      const step = em.create(ProgramStep, { account: a.account, program, position: 0, kind: 'wait', waitSeconds: 3600 });
      await em.flush();
      return { programId: program.id, stepId: step.id, eventId: event.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}` },
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}/edit` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}`, body: (a) => ({ name: 'Stolen', event: a.eventId, reentry_minutes: '0' }) },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/activate` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/pause` },
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}/delete` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/delete` },
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}/steps/new` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/steps`, body: { kind: 'wait', wait_mode: 'for', wait_amount: '1', wait_unit: 'days' } },
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}/edit` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}`, body: { kind: 'wait', wait_mode: 'for', wait_amount: '2', wait_unit: 'days' } },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}/move`, body: { direction: 'up' } },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}/enabled`, body: { enabled: 'off' } },
      { method: 'GET', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}/delete` },
      { method: 'POST', url: (a) => `/automation/programs/${a.programId}/steps/${a.stepId}/delete` },
    ],
    api: [],
  },
  {
    name: 'email',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const contact = em.create(Contact, { account: a.account, phone: '+33612340077', firstName: 'Secret', email: 'secret@example.com' });
      const template = em.create(EmailTemplate, { account: a.account, name: 'Secret template', subject: 'Secret', textBody: 'Secret {{first_name}}', htmlBody: '<p>Secret</p>' });
      await em.flush();
      const [email] = await em.getConnection().execute<{ id: string }[]>(
        `insert into email_message (account_id, template_id, contact_id, to_address, subject, text_body, html_body, status) values (?, ?, ?, 'secret@example.com', 'Secret', 'Secret', '<p>Secret</p>', 'stored') returning id`,
        [a.account.id, template.id, contact.id],
      );
      return { emailTemplateId: template.id, emailId: String(email!.id), emailContactId: String(contact.id) };
    },
    browser: [
      { method: 'GET', url: (a) => `/automation/emails/${a.emailTemplateId}/edit` },
      { method: 'POST', url: (a) => `/automation/emails/${a.emailTemplateId}`, body: { name: 'Stolen', subject: 'Stolen', text_body: 'Stolen' } },
      { method: 'GET', url: (a) => `/automation/emails/${a.emailTemplateId}/delete` },
      { method: 'POST', url: (a) => `/automation/emails/${a.emailTemplateId}/delete` },
      { method: 'GET', url: (a) => `/automation/emails/${a.emailTemplateId}/preview` },
      { method: 'GET', url: (a) => `/automation/emails/${a.emailTemplateId}/preview/html?contact=${a.emailContactId}` },
      { method: 'GET', url: (a) => `/automation/emails/outbox/${a.emailId}` },
      { method: 'GET', url: (a) => `/automation/emails/outbox/${a.emailId}/html` },
    ],
    api: [],
  },
];
