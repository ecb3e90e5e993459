// An email as a contact receives it: the template's subject, text and HTML with the placeholders
// of SMS campaigns (campaigns' placeholderValues + renderTemplate, one renderer for both). In the
// HTML body the values are escaped, so a contact's name cannot add markup; the fallbacks are the
// template author's own HTML, like the rest of the body.
import { placeholderValues, renderTemplate, type Recipient } from '../campaigns/index.js';

/** The subject column's size: a subject made longer by its values is cut there. */
export const MAX_SUBJECT = 300;

export interface EmailContent {
  subject: string;
  textBody: string;
  htmlBody: string | null;
}

// Numeric references: the placeholders' upper/lower/capitalize transforms run after escaping and
// leave digits alone, where they would turn "&amp;" into "&AMP;".
const HTML_ESCAPES: Record<string, string> = { '&': '&#38;', '<': '&#60;', '>': '&#62;', '"': '&#34;', "'": '&#39;' };

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);

/** The values with every text escaped for HTML. */
function htmlValues(values: ReturnType<typeof placeholderValues>): ReturnType<typeof placeholderValues> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'string' ? escapeHtml(value) : value]));
}

/** The template rendered for one recipient (its fields, and an automation run's event data). */
export function renderEmail(template: EmailContent, recipient: Recipient): EmailContent {
  const values = placeholderValues(recipient);
  // One line (a header cannot hold a line break, whatever a value holds), without the double
  // spaces an empty value leaves.
  const subject = renderTemplate(template.subject, values).replace(/\s+/g, ' ').trim().slice(0, MAX_SUBJECT);
  return {
    subject,
    textBody: renderTemplate(template.textBody, values),
    htmlBody: template.htmlBody ? renderTemplate(template.htmlBody, htmlValues(values)) : null,
  };
}
