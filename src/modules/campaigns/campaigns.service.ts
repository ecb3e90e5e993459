// The rules of the Create tab: message settings (name, sender, text), recipients and schedule,
// copy and delete. Shared by the wizard pages and the JSON API; nothing is saved half-way: every
// input is validated before anything changes.
import { DateTime } from 'luxon';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError, ConflictError } from '../../errors.js';
import { withClient } from '../../db/raw-client.js';
import { creditBalance, priceTable, partPrice, type Account } from '../accounts/index.js';
import { Segment, ContactList, customFieldsOf } from '../contacts/index.js';
import { InboundNumber } from '../gateways/index.js';
import { normalisePhone } from '../../phone.js';
import { Campaign, type CampaignKind } from './campaign.entity.js';
import { isEditable, isLaunched, moveTo } from './campaign-status.js';
import { countParts, estimateText, parsePlaceholders, unknownPlaceholders, malformedPlaceholders, MAX_PARTS } from './sms-text.js';
import { findLinks, replaceLinks, trackedLinkLength } from './message-render.js';
import { recipientFilterOn, summariseOn, longestValuesOn, type ZoneReach, type RecipientChoice, type RecipientSummary } from './recipients.queries.js';
import { isUuid } from '../../db/find.js';
import { campaignUsers } from './hooks.js';

export const BUILT_IN_PLACEHOLDERS = ['first_name', 'last_name', 'email', 'phone', 'unsubscribe_link'] as const;
/** Before recipients are chosen, each placeholder counts as this many characters. */
export const FIXED_PLACEHOLDER_ESTIMATE = 10;
/** An unsubscribe token in `PUBLIC_URL/u/<token>`. */
export const UNSUBSCRIBE_TOKEN_LENGTH = 10;
/** Countries where the reference product requires an inbound number for STOP replies. */
export const STOP_COUNTRIES = ['US', 'CA', 'FR'];

export interface MessageInput {
  name?: unknown;
  sender?: unknown;
  body?: unknown;
  track_links?: unknown;
  kind?: unknown;
}

export interface MessageValues {
  name: string;
  /** A name, or the E.164 of one of the account's inbound numbers. */
  sender: string;
  /** The inbound number the sender is; null for a name. */
  inboundNumber: InboundNumber | null;
  body: string;
  trackLinks: boolean;
  kind: CampaignKind;
}

const ALPHANUMERIC_SENDER = /^[A-Za-z0-9&+\-_.]{3,11}$/;
/** Only what a typed phone number has, digits included: meant as a number (a name needs a letter). */
const NUMBER_SENDER = /^[+\d\s().-]*\d[+\d\s().-]*$/;
/** How many of the account's inbound numbers a refused number sender lists. */
const LISTED_NUMBERS = 5;

export function unsubscribeLinkLength(publicUrl: string): number {
  return `${publicUrl}/u/`.length + UNSUBSCRIBE_TOKEN_LENGTH;
}

/** Placeholder names a campaign may use: the built-in ones and the account's custom fields.
 * (checkText also lets an automation campaign name `event.<key>`: the data of the event that
 * triggers it; where no such data is passed, the placeholder renders its fallback.) */
export async function knownPlaceholders(em: EntityManager): Promise<Set<string>> {
  return new Set([...BUILT_IN_PLACEHOLDERS, ...(await customFieldsOf(em)).keys()]);
}

export type SenderChoice = { sender: string; inboundNumber: InboundNumber | null } | { error: string };

/** The sender as typed: a name, or one of the account's inbound numbers (in any common form, a
 * number without a prefix read in the account's default country; compared and kept in E.164).
 * A number that is not an inbound number could not receive replies or STOP, the only reason to
 * send from a number, so it is refused. */
export async function resolveSender(em: EntityManager, sender: string, defaultCountry: string | null): Promise<SenderChoice> {
  if (!sender) return { error: 'Choose a sender: a name of 3 to 11 letters and digits, or one of your inbound numbers.' };
  if (NUMBER_SENDER.test(sender)) return numberSender(em, sender, defaultCountry);
  if (/\s/.test(sender)) return { error: 'A sender cannot contain spaces.' };
  if (!ALPHANUMERIC_SENDER.test(sender)) return { error: 'A sender name has 3 to 11 characters: letters, digits and & + - _ . only.' };
  if (!/[A-Za-z]/.test(sender)) return { error: 'A sender name needs at least one letter (all digits would read as a phone number).' };
  return { sender, inboundNumber: null };
}

async function numberSender(em: EntityManager, typed: string, defaultCountry: string | null): Promise<SenderChoice> {
  const phone = normalisePhone(typed, defaultCountry);
  const found = phone.ok ? await em.findOne(InboundNumber, { number: phone.e164 }) : null;
  if (found) return { sender: found.number, inboundNumber: found };
  const numbers = await em.find(InboundNumber, {}, { orderBy: { number: 'asc' }, limit: LISTED_NUMBERS + 1, fields: ['number'] });
  if (!numbers.length) return { error: 'A number sender must be one of your inbound numbers, and you have none yet (owners add them under Settings → Inbound numbers). Use a name (3 to 11 letters and digits) instead.' };
  const listed = numbers.slice(0, LISTED_NUMBERS).map((n) => n.number).join(', ') + (numbers.length > LISTED_NUMBERS ? ', …' : '');
  return { error: `A number sender must be one of your inbound numbers (${listed}); "${typed}" is not.` };
}

export interface TextCheck {
  count: ReturnType<typeof countParts>;
  /** How placeholders were counted. */
  /** How placeholders were counted: none in the text, a fixed estimate, their longest value among
   * the recipients, or (after launch) the longest message as rendered and sent. */
  basis: 'none' | 'fixed' | 'recipients' | 'rendered';
  unknown: string[];
  error: string | null;
}

/** Counts a message the way it will be sent at worst: placeholders at their longest value among
 * the recipients (or a fixed estimate before they are chosen), the unsubscribe link at its real
 * length. */
export function checkText(body: string, known: Set<string>, options: { publicUrl: string; longest?: Record<string, number>; kind: CampaignKind; trackLinks?: boolean }): TextCheck {
  const placeholders = parsePlaceholders(body);
  // Tracked links leave as short links: count them at that length.
  const sent = options.trackLinks ? replaceLinks(body, findLinks(body), () => 'x'.repeat(trackedLinkLength(options.publicUrl))) : body;
  const unknown = unknownPlaceholders(body, known).filter((name) => !(options.kind === 'automation' && name.startsWith('event.')));
  const lengths: Record<string, number> = {};
  for (const { name } of placeholders) lengths[name] = options.longest?.[name] ?? FIXED_PLACEHOLDER_ESTIMATE;
  lengths.unsubscribe_link = unsubscribeLinkLength(options.publicUrl);
  const count = countParts(estimateText(sent, lengths));
  const basis = placeholders.length === 0 ? 'none' : options.longest ? 'recipients' : 'fixed';
  let error: string | null = null;
  if (!body.trim()) error = 'Write the message.';
  else error = placeholderError(body, known, { eventData: options.kind === 'automation' });
  if (!error && count.parts > MAX_PARTS) error = `The message needs ${count.parts} parts; at most ${MAX_PARTS} are allowed.`;
  return { count, basis, unknown, error };
}

/** What is wrong with a text's placeholders, in a user's words: one that is not a placeholder, or
 * names that are not in `known` (`event.<key>` is allowed where the text gets an event's data:
 * automation campaigns and email templates). Null when they are fine. */
export function placeholderError(text: string, known: ReadonlySet<string>, options: { eventData: boolean }): string | null {
  const malformed = malformedPlaceholders(text);
  if (malformed.length) return `Not a placeholder: ${malformed.join(', ')} (write them like {{first_name}} or {{first_name|there}}).`;
  const unknown = unknownPlaceholders(text, known).filter((name) => !(options.eventData && name.startsWith('event.')));
  if (unknown.length) return `Unknown placeholder${unknown.length > 1 ? 's' : ''}: ${unknown.map((n) => `{{${n}}}`).join(', ')}.`;
  return null;
}

function nameError(name: string): string | null {
  if (!name) return 'Give the campaign a name.';
  if (name.length > 100) return 'A campaign name can have at most 100 characters.';
  return null;
}

export async function validateMessage(em: EntityManager, input: MessageInput, options: { publicUrl: string; defaultCountry: string | null; existingKind?: CampaignKind }): Promise<{ values: MessageValues; errors: Record<string, string>; text: TextCheck }> {
  const { publicUrl, existingKind } = options;
  const errors: Record<string, string> = {};
  const name = String(input.name ?? '').trim();
  const badName = nameError(name);
  if (badName) errors.name = badName;
  const typedSender = String(input.sender ?? '').trim();
  const chosen = await resolveSender(em, typedSender, options.defaultCountry);
  if ('error' in chosen) errors.sender = chosen.error;
  const { sender, inboundNumber } = 'error' in chosen ? { sender: typedSender, inboundNumber: null } : chosen;
  const body = String(input.body ?? '').replace(/\r\n/g, '\n');
  const kind: CampaignKind = existingKind ?? (input.kind === 'automation' ? 'automation' : 'batch');
  const trackLinks = input.track_links === undefined ? true : input.track_links === true || input.track_links === 'on' || input.track_links === 'true' || input.track_links === '1';
  const text = checkText(body, await knownPlaceholders(em), { publicUrl, kind, trackLinks });
  if (text.error) errors.body = text.error;
  return { values: { name, sender, inboundNumber, body, trackLinks, kind }, errors, text };
}

export async function createCampaign(em: EntityManager, account: Account, input: MessageInput, options: { actor: string; publicUrl: string; formToken?: string; recipients?: RecipientsInput }): Promise<Campaign> {
  // Choosing "For Automation Center" makes it an automation campaign (event placeholders allowed).
  const kind = options.recipients && typeof options.recipients === 'object' && options.recipients.automation ? 'automation' : input.kind;
  const { values, errors } = await validateMessage(em, { ...input, kind }, { publicUrl: options.publicUrl, defaultCountry: account.defaultCountry ?? null });
  // Recipients are checked before anything is saved, so a bad choice saves nothing.
  let chosen: Awaited<ReturnType<typeof resolveRecipients>> | null = null;
  if (options.recipients) {
    try {
      chosen = await resolveRecipients(em, options.recipients);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      Object.assign(errors, error.fields);
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const campaign = em.create(Campaign, {
    formToken: options.formToken ?? null,
    account,
    name: values.name,
    sender: values.sender,
    inboundNumber: values.inboundNumber,
    body: values.body,
    trackLinks: values.trackLinks,
    kind: values.kind,
    recipientSource: values.kind === 'automation' ? 'automation' : null,
    createdBy: options.actor,
  });
  if (chosen) applyRecipients(campaign, chosen);
  await em.flush();
  return campaign;
}

export function assertEditable(campaign: Campaign): void {
  if (!isEditable(campaign)) throw new ConflictError(`This campaign is ${campaign.status}: it can no longer be edited, but it can be copied.`);
}

/** What may still change once a campaign is no longer editable (its first message has left, or
 * it launched): its name and the words of its unsubscribe landing page. The rest is what its
 * recipients received (copy the campaign to send something else). */
export interface LaunchedEdit {
  name?: unknown;
  unsubscribe_page_text?: unknown;
}

export const UNSUBSCRIBE_PAGE_TEXT_MAX = 1000;

export async function updateLaunched(em: EntityManager, campaign: Campaign, input: LaunchedEdit): Promise<void> {
  const errors: Record<string, string> = {};
  const name = String(input.name ?? '').trim();
  const badName = nameError(name);
  if (badName) errors.name = badName;
  const text = String(input.unsubscribe_page_text ?? '').replace(/\r\n/g, '\n').trim();
  if (text.length > UNSUBSCRIBE_PAGE_TEXT_MAX) errors.unsubscribe_page_text = `The landing page text can have at most ${UNSUBSCRIBE_PAGE_TEXT_MAX.toLocaleString('en')} characters.`;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(campaign, { name, unsubscribePageText: text || null });
  await em.flush();
}

export async function updateMessage(em: EntityManager, campaign: Campaign, input: MessageInput, publicUrl: string): Promise<void> {
  assertEditable(campaign);
  const merged = { name: campaign.name, sender: campaign.sender, body: campaign.body, track_links: campaign.trackLinks, ...input };
  const { values, errors } = await validateMessage(em, merged, { publicUrl, defaultCountry: campaign.account.defaultCountry ?? null, existingKind: campaign.kind as CampaignKind });
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(campaign, { name: values.name, sender: values.sender, inboundNumber: values.inboundNumber, body: values.body, trackLinks: values.trackLinks });
  // A changed text invalidates the estimate made when it was scheduled.
  if (campaign.status === 'scheduled') await refreshEstimate(em, campaign, publicUrl);
  await em.flush();
}

export interface RecipientsInput {
  segment_id?: unknown;
  list_id?: unknown;
  automation?: unknown;
}

/** Resolves a recipient choice to a segment or list of this account (404-proof: another
 * account's id is simply not found, reported on the field). */
export async function resolveRecipients(em: EntityManager, input: RecipientsInput): Promise<{ source: 'segment'; segment: Segment } | { source: 'list'; list: ContactList } | { source: 'automation' }> {
  if (typeof input !== 'object' || input === null) throw new ValidationError({ recipients: 'Choose one recipient source: a segment, a contact list, or For Automation Center.' });
  const given = [input.segment_id, input.list_id, input.automation].filter((v) => v !== undefined && v !== null && v !== '' && v !== false).length;
  if (given !== 1) throw new ValidationError({ recipients: 'Choose one recipient source: a segment, a contact list, or For Automation Center.' });
  if (input.automation) return { source: 'automation' };
  if (input.segment_id) {
    const segment = isUuid(input.segment_id) ? await em.findOne(Segment, { id: String(input.segment_id) }) : null;
    if (!segment) throw new ValidationError({ recipients: 'There is no such segment.' });
    return { source: 'segment', segment };
  }
  const list = isUuid(input.list_id) ? await em.findOne(ContactList, { id: String(input.list_id) }) : null;
  if (!list) throw new ValidationError({ recipients: 'There is no such contact list.' });
  return { source: 'list', list };
}

export function recipientChoice(campaign: Campaign): RecipientChoice | null {
  if (campaign.recipientSource === 'segment' && campaign.segment) return { kind: 'segment', rules: campaign.segment.rules };
  if (campaign.recipientSource === 'list' && campaign.list) return { kind: 'list', listId: campaign.list.id };
  return null;
}

type ChosenRecipients = Awaited<ReturnType<typeof resolveRecipients>>;

/** Sets a resolved recipient choice on the campaign (choosing Automation Center makes it an
 * automation campaign, which is never scheduled). */
export function applyRecipients(campaign: Campaign, chosen: ChosenRecipients): void {
  if (chosen.source === 'automation') {
    Object.assign(campaign, { kind: 'automation', recipientSource: 'automation', segment: null, list: null, scheduledAt: null, estimatedRecipients: null, estimatedParts: null });
    if (campaign.status === 'scheduled') moveTo(campaign, 'draft');
    return;
  }
  Object.assign(campaign, {
    kind: 'batch',
    recipientSource: chosen.source,
    segment: chosen.source === 'segment' ? chosen.segment : null,
    list: chosen.source === 'list' ? chosen.list : null,
  });
}

export async function setRecipients(em: EntityManager, campaign: Campaign, input: RecipientsInput): Promise<void> {
  assertEditable(campaign);
  applyRecipients(campaign, await resolveRecipients(em, input));
  await em.flush();
}

export interface Reach {
  summary: RecipientSummary;
  text: TextCheck;
  /** Per country: receiving recipients, parts (recipients × parts of the message), the price of
   * a part and the cost (null where no price applies). */
  partsByCountry: { country: string | null; recipients: number; parts: number; priceMicros: number | null; costMicros: number | null }[];
  /** The estimated cost in all; null when a destination has no price. */
  costMicros: number | null;
  balanceMicros: number;
  /** Country rules (STOP replies, opt-out wording); they do not stop a launch. */
  warnings: string[];
}

/** The one count of a campaign's text (characters, encoding, parts), with its basis stated:
 * placeholders at their longest value among the campaign's receiving recipients once they are
 * chosen (one query), at a fixed estimate before. `draft` is the editor's unsaved text and
 * link-tracking choice; without it, the campaign's own. Every page and the API count this way. */
export async function checkCampaignText(em: EntityManager, campaign: Campaign | null, publicUrl: string, draft?: { body: string; trackLinks: boolean; kind?: CampaignKind }): Promise<TextCheck> {
  const known = await knownPlaceholders(em);
  const body = draft?.body ?? campaign?.body ?? '';
  const trackLinks = draft?.trackLinks ?? campaign?.trackLinks ?? true;
  const kind = draft?.kind ?? (campaign?.kind as CampaignKind) ?? 'batch';
  const choice = campaign ? recipientChoice(campaign) : null;
  if (!campaign || !choice) return checkText(body, known, { publicUrl, kind, trackLinks });
  const names = [...new Set(parsePlaceholders(body).map((p) => p.name))];
  const longest = await withClient(em, async (client) => longestValuesOn(client, await recipientFilterOn(client, campaign.account.id, choice), names, known));
  return checkText(body, known, { publicUrl, longest, kind, trackLinks });
}

/** What the campaign will reach: recipients, parts and estimated cost per country, and the
 * country-rule warnings. Whether it can go out is sendability.ts's answer. */
export async function reachOf(em: EntityManager, campaign: Campaign, publicUrl: string, body: string = campaign.body): Promise<Reach | null> {
  const choice = recipientChoice(campaign);
  if (!choice) return null;
  // One scan: who it reaches, and the longest placeholder values among them for the part count.
  const known = await knownPlaceholders(em);
  const names = [...new Set(parsePlaceholders(body).map((p) => p.name))];
  const summary = await withClient(em, async (client) => summariseOn(client, await recipientFilterOn(client, campaign.account.id, choice), { names, customKeys: known }));
  const text = checkText(body, known, { publicUrl, longest: summary.longest, kind: campaign.kind as CampaignKind, trackLinks: campaign.trackLinks });
  const prices = await priceTable(em);
  const partsByCountry = summary.byCountry.map((c) => {
    const parts = c.receiving * text.count.parts;
    const priceMicros = partPrice(prices, c.country);
    return { country: c.country, recipients: c.receiving, parts, priceMicros, costMicros: priceMicros === null ? null : parts * priceMicros };
  });
  const costMicros = partsByCountry.some((c) => c.costMicros === null) ? null : partsByCountry.reduce((sum, c) => sum + c.costMicros!, 0);
  const balanceMicros = await creditBalance(em, campaign.account.id);
  const warnings = countryWarnings({ sender: campaign.sender, inboundNumber: campaign.inboundNumber, body }, summary);
  return { summary, text, partsByCountry, costMicros, balanceMicros, warnings };
}

/** The receiving recipients per country and time zone (one grouped query; null before recipients are chosen). */
export async function receivingByZone(em: EntityManager, campaign: Campaign): Promise<ZoneReach[] | null> {
  const choice = recipientChoice(campaign);
  if (!choice) return null;
  return withClient(em, async (client) => (await summariseOn(client, await recipientFilterOn(client, campaign.account.id, choice))).byZone);
}

export function countryWarnings(campaign: Pick<Campaign, 'sender' | 'inboundNumber' | 'body'>, summary: RecipientSummary): string[] {
  const stopCountries = summary.byCountry.filter((c) => c.country && STOP_COUNTRIES.includes(c.country) && c.receiving > 0).map((c) => c.country!);
  if (!stopCountries.length) return [];
  const warnings: string[] = [];
  const countries = stopCountries.join(', ');
  if (!campaign.inboundNumber) {
    warnings.push(`Recipients in ${countries} must be able to reply STOP, which needs an inbound number as the sender; "${campaign.sender}" cannot receive replies.`);
  }
  if (!/\bSTOP\b/i.test(campaign.body) && !campaign.body.includes('{{unsubscribe_link')) {
    warnings.push(`Messages to ${countries} must say how to opt out: add "STOP" (for example "Reply STOP to opt out") or {{unsubscribe_link}}.`);
  }
  return warnings;
}

async function refreshEstimate(em: EntityManager, campaign: Campaign, publicUrl: string): Promise<Reach> {
  const reach = await reachOf(em, campaign, publicUrl);
  if (!reach) throw new ValidationError({ recipients: 'Choose the recipients before scheduling: a segment or a contact list.' });
  if (reach.text.error) throw new ValidationError({ body: reach.text.error });
  campaign.estimatedRecipients = reach.summary.receiving;
  campaign.estimatedParts = reach.summary.receiving * reach.text.count.parts;
  return reach;
}

/** Parses a schedule: "now", an ISO-8601 instant, or a local "YYYY-MM-DDTHH:MM" in the account's
 * time zone. It must be at least a minute ahead. */
export function parseSchedule(at: unknown, timeZone: string, now = new Date()): Date | 'now' {
  const text = String(at ?? '').trim();
  if (text === 'now') return 'now';
  if (!text) throw new ValidationError({ at: 'Choose "send now" or a date and time.' });
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(text);
  const parsed = DateTime.fromISO(text, hasZone ? { setZone: true } : { zone: timeZone });
  if (!parsed.isValid) throw new ValidationError({ at: `"${text}" is not a date and time (YYYY-MM-DDTHH:MM).` });
  const date = parsed.toJSDate();
  if (date.getTime() < now.getTime() + 60_000) throw new ValidationError({ at: 'Choose a time at least one minute from now.' });
  return date;
}

export async function scheduleCampaign(em: EntityManager, campaign: Campaign, at: Date | 'now', publicUrl: string): Promise<Reach> {
  if (campaign.kind === 'automation') throw new ConflictError('Automation center campaigns are sent by automation programs; they are not scheduled.');
  assertEditable(campaign);
  const reach = await refreshEstimate(em, campaign, publicUrl);
  if (reach.summary.receiving === 0) throw new ValidationError({ recipients: 'No contact of this source can receive the campaign (all are opted out or have a bad number).' });
  campaign.scheduledAt = at === 'now' ? new Date() : at;
  if (campaign.status !== 'scheduled') moveTo(campaign, 'scheduled');
  await em.flush();
  return reach;
}

export async function unscheduleCampaign(em: EntityManager, campaign: Campaign): Promise<void> {
  moveTo(campaign, 'draft');
  campaign.scheduledAt = null;
  await em.flush();
}

export async function copyCampaign(em: EntityManager, campaign: Campaign, actor: string): Promise<Campaign> {
  const name = `Copy of ${campaign.name}`.slice(0, 100);
  // A launched campaign's segment or list may have been deleted since: the copy has none chosen.
  const sourceKept = campaign.recipientSource === 'automation' || recipientChoice(campaign) !== null;
  const copy = em.create(Campaign, {
    account: campaign.account,
    name,
    kind: campaign.kind,
    sender: campaign.sender,
    inboundNumber: campaign.inboundNumber,
    body: campaign.body,
    trackLinks: campaign.trackLinks,
    recipientSource: sourceKept ? campaign.recipientSource : null,
    segment: campaign.segment,
    list: campaign.list,
    copiedFrom: campaign,
    createdBy: actor,
  });
  await em.flush();
  return copy;
}

export async function deleteCampaign(em: EntityManager, campaign: Campaign): Promise<void> {
  if (isLaunched(campaign)) throw new ConflictError(`This campaign is ${campaign.status}: a launched campaign cannot be deleted.`);
  // An automation campaign stays a draft: once its messages go out, they are its record.
  if (campaign.firstSentAt) throw new ConflictError('Messages of this campaign have gone out: it cannot be deleted.');
  const users = await campaignUsers(em, campaign.id);
  if (users.length) throw new ConflictError(`The automation program${users.length === 1 ? '' : 's'} ${users.map((name) => `"${name}"`).join(', ')} send${users.length === 1 ? 's' : ''} this campaign: remove ${users.length === 1 ? 'that step' : 'those steps'} first.`);
  em.remove(campaign);
  await em.flush();
}

/** A contacts usage check (contacts/usage.ts): the campaigns still to launch whose recipients are
 * this segment or list. A launched one wrote its recipients into its messages at launch and does
 * not need it any more (deleting it sets the campaign's reference to null). */
export async function campaignsUsing(em: EntityManager, used: { segmentId: string } | { listId: string }): Promise<{ name: string }[]> {
  const where = 'segmentId' in used ? { segment: used.segmentId } : { list: used.listId };
  const campaigns = await em.find(Campaign, { ...where, status: { $in: ['draft', 'scheduled'] } }, { orderBy: { name: 'asc' }, fields: ['name'] });
  return campaigns.map((c) => ({ name: c.name }));
}

/** Campaigns still to send from an inbound number (a gateways usage check, gateways/hooks.ts):
 * while there are any, the number cannot be deleted. Sent and cancelled ones let it go (their
 * inbound number is set to null). */
export async function campaignsSendingFrom(em: EntityManager, inboundNumberId: string): Promise<{ name: string }[]> {
  const campaigns = await em.find(Campaign, { inboundNumber: inboundNumberId, status: { $in: ['draft', 'scheduled', 'sending', 'paused'] } }, { orderBy: { name: 'asc' }, fields: ['name'] });
  return campaigns.map((c) => ({ name: c.name }));
}
