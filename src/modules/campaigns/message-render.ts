// One message as it leaves: the campaign text with tracked links replaced by short links, then
// personalised; its encoding, parts and cost. Tokens are per message and unguessable (60 bits);
// `/u/<token>` unsubscribes and `/l/<token><n>` follows link n of the campaign.
import crypto from 'node:crypto';
import { countParts, renderTemplate, type SmsEncoding, type TemplateValues } from './sms-text.js';

export const TOKEN_LENGTH = 10;
/** The token a preview shows in its links: as long as a real one, so the preview's length is the
 * sent message's. */
export const PREVIEW_TOKEN = 'x'.repeat(TOKEN_LENGTH);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newToken(): string {
  const bytes = crypto.randomBytes(TOKEN_LENGTH);
  let token = '';
  // 62 does not divide 256: the bias (a few percent on some letters) costs less than a bit.
  for (const byte of bytes) token += ALPHABET[byte % 62];
  return token;
}

/** Link numbers (1, 2, …) are one base-62 character after the token: at most 61 tracked links. */
export const MAX_TRACKED_LINKS = 61;
export const linkSuffix = (position: number) => ALPHABET[position]!;
/** The link number of a suffix; 0 (no link) for anything else. */
export const linkPosition = (suffix: string) => Math.max(0, ALPHABET.indexOf(suffix));

// A URL as people write them in SMS; trailing punctuation belongs to the sentence.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"{}]+/g;

const TRAILING_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', ')', ']', "'", '’']);

/** A matched URL without the punctuation that ends the sentence around it ("see https://x.io/a."),
 * trimmed by a backwards scan: linear in the text, whatever it holds (a regular expression
 * anchored at the end would retry every start of a long run of dots: quadratic). */
function withoutTrailingPunctuation(raw: string): string {
  let end = raw.length;
  while (end > 0 && TRAILING_PUNCTUATION.has(raw[end - 1]!)) end--;
  return raw.slice(0, end);
}

/** The links of a text, in order, each once. */
export function findLinks(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = withoutTrailingPunctuation(match[0]);
    if (!found.includes(url)) found.push(url);
  }
  return found.slice(0, MAX_TRACKED_LINKS);
}

/** The text with each tracked link replaced by `make(position)`. */
export function replaceLinks(text: string, links: string[], make: (position: number) => string): string {
  if (!links.length) return text;
  return text.replace(URL_PATTERN, (raw) => {
    const url = withoutTrailingPunctuation(raw);
    const position = links.indexOf(url) + 1;
    return position ? make(position) + raw.slice(url.length) : raw;
  });
}

/** A short link's length, for counting parts before tokens exist. */
export const trackedLinkLength = (publicUrl: string) => `${publicUrl}/l/`.length + TOKEN_LENGTH + 1;

export interface Template {
  body: string;
  /** Tracked links (empty when the campaign does not track them). */
  links: string[];
  publicUrl: string;
  /** Whether messages need a token (an unsubscribe link or tracked links). */
  needsToken: boolean;
}

export function prepareTemplate(body: string, trackLinks: boolean, publicUrl: string): Template {
  const links = trackLinks ? findLinks(body) : [];
  return { body, links, publicUrl, needsToken: links.length > 0 || /\{\{\s*unsubscribe_link/.test(body) };
}

export interface Recipient {
  phone: string;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  fields?: Record<string, unknown> | null;
  /** The data of the external event that started an automation run: `{{event.<name>}}`. */
  event_data?: Record<string, unknown> | null;
}

export interface Rendered {
  body: string;
  encoding: SmsEncoding;
  parts: number;
}

/** What a contact's placeholders stand for: its custom fields, its built-in fields, and the event
 * data of an automation run as `event.<name>` (SMS and email steps render with the same values). */
export function placeholderValues(recipient: Recipient): TemplateValues {
  const values: TemplateValues = { ...((recipient.fields ?? {}) as TemplateValues) };
  // Event data is the caller's JSON: a nested value is written as JSON rather than "[object Object]".
  for (const [name, value] of Object.entries(recipient.event_data ?? {})) values[`event.${name}`] = value !== null && typeof value === 'object' ? JSON.stringify(value) : (value as TemplateValues[string]);
  return { ...values, first_name: recipient.first_name, last_name: recipient.last_name, email: recipient.email, phone: recipient.phone };
}

export function renderMessage(template: Template, recipient: Recipient, token: string | null): Rendered {
  const { publicUrl } = template;
  const text = token ? replaceLinks(template.body, template.links, (position) => `${publicUrl}/l/${token}${linkSuffix(position)}`) : template.body;
  const body = renderTemplate(text, { ...placeholderValues(recipient), unsubscribe_link: token ? `${publicUrl}/u/${token}` : '' });
  const count = countParts(body);
  return { body, encoding: count.encoding, parts: count.parts };
}
