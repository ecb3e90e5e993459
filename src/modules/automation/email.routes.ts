// Automation → Email: templates (list, create, edit, delete, preview for a contact) and the Email
// outbox (newest first, by status, paged, CSV, one email to read). Marketers and owners change
// templates; viewers read everything but the CSV (personal data). An email's HTML is its own
// document, framed by the page and sandboxed by its own Content-Security-Policy (no script, no
// request anywhere), so a template's markup can neither run nor reach the page around it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { BigIntId, BigIntIdParams, EmptyForm, Form, LINE, OptionalText, UuidParams } from '../../plugins/schemas.js';
import { normalisePhone } from '../../phone.js';
import { hasRole } from '../accounts/index.js';
import { EMAIL_STATUSES, EmailTemplate, type EmailStatus } from './email.entity.js';
import { renderEmail } from './email-render.js';
import { recipientOf } from './email.queries.js';
import { outboxEmail, outboxPage, previewContact } from './email-outbox.queries.js';
import { outboxCsvOn } from './email-outbox.service.js';
import { createTemplate, deleteTemplate, MAX_BODY, updateTemplate, whyNotDeletable } from './email-templates.service.js';

const PAGE_SIZE = 50;
/** What each status means to a person reading the outbox. */
const STATUS_LABELS: Record<EmailStatus, string> = { queued: 'Queued', sending: 'Sending', sent: 'Sent', stored: 'Kept in the outbox', failed: 'Failed', skipped: 'Skipped' };
const TAB = 'automation' as const;
const TemplateParams = UuidParams('email template');
const EmailParams = BigIntIdParams('email');
const TemplateForm = Form({ name: OptionalText(LINE), subject: OptionalText(LINE), text_body: OptionalText(MAX_BODY * 2), html_body: OptionalText(MAX_BODY * 2) });
const PreviewQuery = Type.Object({ contact: OptionalText(LINE) });
const OutboxQuery = Type.Object({ status: Type.Optional(Type.Enum(['', ...EMAIL_STATUSES])), after: Type.Optional(BigIntId()) });

/** An email's HTML as a document of its own: sandboxed (a unique origin, no script), no request
 * to anywhere (remote images are not loaded: they would tell the sender it was read), inline
 * styles allowed, framed by our own pages only. */
const HTML_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

function sendHtmlDocument(reply: FastifyReply, html: string) {
  return reply.header('content-security-policy', HTML_POLICY).header('x-frame-options', 'SAMEORIGIN').header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

function mustEdit(request: FastifyRequest): void {
  if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Viewers can look at everything but change nothing.');
}

/** The form's values for an existing template, as the form posts them. */
const valuesOf = (template: EmailTemplate) => ({ name: template.name, subject: template.subject, text_body: template.textBody, html_body: template.htmlBody ?? '' });

/** The contact typed in the preview's box: an id, a phone number or an email address. */
function typedContact(typed: string, defaultCountry: string | null) {
  const email = typed.includes('@') ? typed.toLowerCase() : null;
  const phone = !email && typed ? normalisePhone(typed, defaultCountry) : null;
  return { id: /^[1-9][0-9]{0,14}$/.test(typed) ? typed : null, phone: phone?.ok ? phone.e164 : null, email };
}

/** A URL with the outbox's filters (empty ones left out). */
function outboxUrl(path: string, filters: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => !!entry[1])).toString();
  return query ? `${path}?${query}` : path;
}

export async function emailRoutes(app: TypedApp) {
  const smtp = Boolean(app.config.smtpUrl);
  const loadTemplate = (request: FastifyRequest, id: string) => findOr404(request.em, EmailTemplate, id, 'email template');

  const formPage = (request: FastifyRequest, reply: FastifyReply, template: EmailTemplate | null, problem?: FormProblem) =>
    reply.page('automation/emails/form', { template, values: problem?.values ?? (template ? valuesOf(template) : {}), errors: problem?.fields ?? {} }, { title: template ? `Edit ${template.name}` : 'New email template', tab: TAB });

  // --- Templates ---------------------------------------------------------------------------------
  app.get('/', async (request, reply) => {
    const templates = await request.em.find(EmailTemplate, {}, { orderBy: { name: 'asc' } });
    return reply.page('automation/emails/index', { templates }, { title: 'Email templates', tab: TAB });
  });

  app.get('/new', async (request, reply) => {
    mustEdit(request);
    return formPage(request, reply, null);
  });

  app.post('/', { schema: { body: TemplateForm }, errorHandler: formErrors((request, reply, problem) => formPage(request, reply, null, problem)) }, async (request, reply) => {
    const template = await createTemplate(request.em, request.account!, request.body);
    return reply.redirect(`/automation/emails/${template.id}/preview`, 303);
  });

  app.get('/:id/edit', { schema: { params: TemplateParams } }, async (request, reply) => {
    const template = await loadTemplate(request, request.params.id);
    mustEdit(request);
    return formPage(request, reply, template);
  });

  app.post(
    '/:id',
    {
      schema: { params: TemplateParams, body: TemplateForm },
      errorHandler: formErrors<{ id: string }>(async (request, reply, problem) => formPage(request, reply, await loadTemplate(request, request.params.id), problem)),
    },
    async (request, reply) => {
      const template = await loadTemplate(request, request.params.id);
      await updateTemplate(request.em, template, request.body);
      return reply.redirect(`/automation/emails/${template.id}/preview`, 303);
    },
  );

  app.get('/:id/delete', { schema: { params: TemplateParams } }, async (request, reply) => {
    const template = await loadTemplate(request, request.params.id);
    mustEdit(request);
    const refusal = await whyNotDeletable(request.em, request.account!.id, template);
    return reply.page('automation/emails/delete', { template, refusal }, { title: `Delete ${template.name}`, tab: TAB });
  });

  app.post('/:id/delete', { schema: { params: TemplateParams, body: EmptyForm() } }, async (request, reply) => {
    await deleteTemplate(request.em, request.account!.id, await loadTemplate(request, request.params.id));
    return reply.redirect('/automation/emails', 303);
  });

  // --- Preview for a contact -------------------------------------------------------------------
  /** The template rendered for the contact typed (or the newest one), and what the page says. */
  const preview = async (request: FastifyRequest, template: EmailTemplate, typed: string) => {
    const chosen = typedContact(typed, request.account!.defaultCountry ?? null);
    const readable = !typed || chosen.id || chosen.phone || chosen.email;
    const contact = readable ? await previewContact(request.em, request.account!.id, chosen) : null;
    const rendered = contact ? renderEmail({ subject: template.subject, textBody: template.textBody, htmlBody: template.htmlBody ?? null }, recipientOf(contact, {})) : null;
    const problem = contact ? null : typed ? `No contact has the id, phone number or email address "${typed}".` : 'There are no contacts yet: add one to see the template with its data.';
    return { contact, rendered, problem };
  };

  app.get('/:id/preview', { schema: { params: TemplateParams, querystring: PreviewQuery } }, async (request, reply) => {
    const template = await loadTemplate(request, request.params.id);
    const typed = (request.query.contact ?? '').trim();
    const data = { template, typed, ...(await preview(request, template, typed)) };
    return reply.page('automation/emails/preview', data, { title: `Preview of ${template.name}`, tab: TAB });
  });

  app.get('/:id/preview/html', { schema: { params: TemplateParams, querystring: PreviewQuery } }, async (request, reply) => {
    const template = await loadTemplate(request, request.params.id);
    const { rendered } = await preview(request, template, (request.query.contact ?? '').trim());
    if (!rendered?.htmlBody) throw new NotFoundError('This preview has no HTML body.');
    return sendHtmlDocument(reply, rendered.htmlBody);
  });

  // --- Email outbox ----------------------------------------------------------------------------
  app.get('/outbox', { schema: { querystring: OutboxQuery } }, async (request, reply) => {
    const status = request.query.status ?? '';
    const after = request.query.after;
    const page = await outboxPage(request.em, request.account!.id, status, { after: after ?? null, limit: PAGE_SIZE });
    const list = outboxUrl('/automation/emails/outbox', { status });
    const data = { page, status, after, list, exportUrl: outboxUrl('/automation/emails/outbox/export', { status }), statuses: EMAIL_STATUSES, statusLabels: STATUS_LABELS, smtp, canExport: hasRole(request.user!, 'marketer') };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#outbox-results') return reply.fragment('automation/emails/_outbox-results', data);
    return reply.page('automation/emails/outbox', data, { title: 'Email outbox', tab: TAB });
  });

  app.get('/outbox/export', { schema: { querystring: OutboxQuery } }, async (request, reply) => {
    if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Exports hold personal data: only marketers and owners can export.');
    const account = request.account!;
    return sendCsvDownload(request, reply, 'email-outbox', (client) => outboxCsvOn(client, account.id, request.query.status ?? '', account.timeZone));
  });

  const loadEmail = async (request: FastifyRequest, id: string) => {
    const email = await outboxEmail(request.em, request.account!.id, id);
    if (!email) throw new NotFoundError('There is no such email.');
    return email;
  };

  app.get('/outbox/:id', { schema: { params: EmailParams } }, async (request, reply) => {
    const email = await loadEmail(request, request.params.id);
    return reply.page('automation/emails/message', { email, statusLabels: STATUS_LABELS }, { title: email.subject || 'Email', tab: TAB });
  });

  app.get('/outbox/:id/html', { schema: { params: EmailParams } }, async (request, reply) => {
    const email = await loadEmail(request, request.params.id);
    if (!email.html_body) throw new NotFoundError('This email has no HTML body.');
    return sendHtmlDocument(reply, email.html_body);
  });
}
