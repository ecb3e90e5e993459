// The rules of email templates: a name unique in the account, a subject and a text body (an HTML
// body optional), all with the placeholders of SMS campaigns, checked as campaigns check theirs
// (`event.<name>` allowed: an automation run passes its event's data). A template a program step
// sends cannot be deleted; the answer names the programs.
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException, ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { ConflictError, ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { knownPlaceholders, placeholderError } from '../campaigns/index.js';
import { EmailTemplate } from './email.entity.js';
import { MAX_SUBJECT } from './email-render.js';
import { programsUsingTemplate } from './email-outbox.queries.js';

export const MAX_NAME = 200;
/** A body's limit: far above a real email, below what a form may post. */
export const MAX_BODY = 100_000;

export interface TemplateInput {
  name?: string;
  subject?: string;
  text_body?: string;
  html_body?: string;
}

export interface TemplateValues {
  name: string;
  subject: string;
  textBody: string;
  htmlBody: string | null;
}

/** Placeholders an email may use: the SMS ones, less the SMS unsubscribe link. */
async function emailPlaceholders(em: EntityManager): Promise<Set<string>> {
  const known = await knownPlaceholders(em);
  known.delete('unsubscribe_link');
  return known;
}

const nameTaken = (name: string) => `There is already a template named "${name}".`;

/** The form's values, checked; every field's problem at once. */
async function validateTemplate(em: EntityManager, input: TemplateInput, existing: EmailTemplate | null): Promise<TemplateValues> {
  const errors: Record<string, string> = {};
  const known = await emailPlaceholders(em);
  const name = (input.name ?? '').trim();
  const subject = (input.subject ?? '').trim();
  const textBody = (input.text_body ?? '').replace(/\r\n/g, '\n');
  const htmlBody = (input.html_body ?? '').replace(/\r\n/g, '\n');
  if (!name) errors.name = 'Give the template a name.';
  else if (name.length > MAX_NAME) errors.name = `A template name can have at most ${MAX_NAME} characters.`;
  else if (await em.findOne(EmailTemplate, { name, ...(existing ? { id: { $ne: existing.id } } : {}) })) errors.name = nameTaken(name);
  if (!subject) errors.subject = 'Write the subject.';
  else if (subject.length > MAX_SUBJECT) errors.subject = `A subject can have at most ${MAX_SUBJECT} characters.`;
  else if (/[\r\n]/.test(subject)) errors.subject = 'A subject is one line.';
  if (!textBody.trim()) errors.text_body = 'Write the text body: every email has one, for mail programs that show no HTML.';
  else if (textBody.length > MAX_BODY) errors.text_body = `The text body can have at most ${MAX_BODY.toLocaleString('en')} characters.`;
  if (htmlBody.length > MAX_BODY) errors.html_body = `The HTML body can have at most ${MAX_BODY.toLocaleString('en')} characters.`;
  for (const [field, text] of [['subject', subject], ['text_body', textBody], ['html_body', htmlBody]] as const) {
    const problem = errors[field] ? null : placeholderError(text, known, { eventData: true });
    if (problem) errors[field] = problem;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { name, subject, textBody, htmlBody: htmlBody.trim() ? htmlBody : null };
}

/** Saves, turning a name another template has (two people at once included) into its field error. */
async function flushNamed(em: EntityManager, name: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ValidationError({ name: nameTaken(name) });
    throw error;
  }
}

export async function createTemplate(em: EntityManager, account: Account, input: TemplateInput): Promise<EmailTemplate> {
  const values = await validateTemplate(em, input, null);
  const template = em.create(EmailTemplate, { account, ...values });
  await flushNamed(em, values.name);
  return template;
}

export async function updateTemplate(em: EntityManager, template: EmailTemplate, input: TemplateInput): Promise<void> {
  const values = await validateTemplate(em, input, template);
  Object.assign(template, values);
  await flushNamed(em, values.name);
}

/** Why a template cannot be deleted now, or null. */
export async function whyNotDeletable(em: EntityManager, accountId: string, template: EmailTemplate): Promise<string | null> {
  const programs = await programsUsingTemplate(em, accountId, template.id);
  if (!programs.length) return null;
  const names = programs.map((name) => `"${name}"`).join(', ');
  return `The template "${template.name}" is sent by ${programs.length === 1 ? 'the program' : 'the programs'} ${names}: remove it from their steps first.`;
}

export async function deleteTemplate(em: EntityManager, accountId: string, template: EmailTemplate): Promise<void> {
  const refusal = await whyNotDeletable(em, accountId, template);
  if (refusal) throw new ConflictError(refusal);
  em.remove(template);
  try {
    await em.flush();
  } catch (error) {
    // A step added since the check: the foreign key refuses, and the answer says why.
    if (error instanceof ForeignKeyConstraintViolationException) throw new ConflictError((await whyNotDeletable(em.fork(), accountId, template)) ?? 'A program step uses this template.');
    throw error;
  }
}
