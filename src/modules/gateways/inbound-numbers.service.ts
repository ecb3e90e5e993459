// Inbound numbers of an account (Settings → Inbound numbers and the CLI `number add`): adding one
// (E.164, its country, the gateway it arrives through, its country's keywords and default replies),
// changing its keywords, replies and gateway, resetting its keywords, deleting it.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import { isUuid } from '../../db/find.js';
import { normalisePhone } from '../../phone.js';
import { Account } from '../accounts/index.js';
import { Gateway } from './gateway.entity.js';
import { InboundNumber } from './inbound-number.entity.js';
import { defaultKeywords, keywordKey, type KeywordLists } from './number-keywords.js';
import { usersOfNumber } from './hooks.js';

/** The longest reply (the column's size: three SMS parts of GSM-7). */
export const MAX_REPLY = 480;
const MAX_KEYWORDS = 50;
const KEYWORD = /^[A-Z0-9]{2,30}$/;

/** The replies a new number starts with, in the account's name. */
export function defaultReplies(accountName: string): Pick<InboundNumber, 'helpReply' | 'optOutReply' | 'optInReply'> {
  return {
    helpReply: `${accountName}: reply STOP to unsubscribe. Msg&data rates may apply.`,
    optOutReply: `You are unsubscribed from ${accountName} messages and will receive no more. Reply START to subscribe again.`,
    optInReply: `You are subscribed to ${accountName} messages again. Reply STOP to unsubscribe.`,
  };
}

/** Lists in the form they are stored and compared in: keys ("OPT-OUT" is OPTOUT), once each. */
function asKeys(lists: KeywordLists): KeywordLists {
  const keys = (list: string[]) => [...new Set(list.map(keywordKey))];
  return { optOut: keys(lists.optOut), optIn: keys(lists.optIn), help: keys(lists.help) };
}

const onNumber = (lists: KeywordLists) => ({ optOutKeywords: lists.optOut, optInKeywords: lists.optIn, helpKeywords: lists.help });

/** Keywords typed as text, separated by commas, semicolons or spaces, each read as its key.
 * Returns the keys (once each) or what is wrong. */
export function parseKeywords(text: string): { keys: string[]; problem: string | null } {
  const keys: string[] = [];
  const bad: string[] = [];
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    const key = keywordKey(token);
    if (!KEYWORD.test(key)) bad.push(token.length > 40 ? `${token.slice(0, 40)}…` : token);
    else if (!keys.includes(key)) keys.push(key);
  }
  if (bad.length) return { keys, problem: `Not a keyword: "${bad.slice(0, 3).join('", "')}". A keyword has 2 to 30 Latin letters and digits (accents and hyphens are dropped: ARRÊT is ARRET, OPT-OUT is OPTOUT).` };
  if (keys.length > MAX_KEYWORDS) return { keys, problem: `At most ${MAX_KEYWORDS} keywords per list.` };
  return { keys, problem: null };
}

/** The gateway chosen in a form: the account's default when none is named. */
async function chosenGateway(em: EntityManager, id: string | undefined, errors: Record<string, string>): Promise<Gateway | null> {
  const gateway = id ? (isUuid(id) ? await em.findOne(Gateway, { id }) : null) : await em.findOne(Gateway, { isDefault: true });
  if (!gateway) errors.gateway = id ? 'There is no such gateway: choose one of yours.' : 'Choose the gateway the number arrives through.';
  return gateway;
}

export interface NewNumberInput {
  number?: string;
  gateway?: string;
}

export async function addInboundNumber(em: EntityManager, account: Pick<Account, 'id' | 'name' | 'defaultCountry'>, input: NewNumberInput): Promise<InboundNumber> {
  const errors: Record<string, string> = {};
  const phone = normalisePhone(input.number ?? '', account.defaultCountry);
  const duplicate = (e164: string) => `${e164} is already one of your inbound numbers.`;
  if (!phone.ok) errors.number = phone.reason;
  else if (await em.count(InboundNumber, { number: phone.e164 })) errors.number = duplicate(phone.e164);
  const gateway = await chosenGateway(em, input.gateway?.trim(), errors);
  if (!phone.ok || !gateway || Object.keys(errors).length) throw new ValidationError(errors);
  const number = em.create(InboundNumber, {
    account: em.getReference(Account, account.id),
    number: phone.e164,
    country: phone.country,
    gateway,
    ...onNumber(asKeys(defaultKeywords(phone.country))),
    ...defaultReplies(account.name),
  });
  try {
    await em.flush();
  } catch (error) {
    // Added at the same moment by someone else.
    if (error instanceof UniqueConstraintViolationException) throw new ValidationError({ number: duplicate(phone.e164) });
    throw error;
  }
  return number;
}

export interface NumberSettingsInput {
  gateway?: string;
  optOutKeywords?: string;
  optInKeywords?: string;
  helpKeywords?: string;
  helpReply?: string;
  optOutReply?: string;
  optInReply?: string;
}

/** A number's settings as its form shows them: keyword lists as comma-separated text. */
export function numberSettings(number: InboundNumber): Required<NumberSettingsInput> {
  return {
    gateway: number.gateway.id,
    optOutKeywords: number.optOutKeywords.join(', '),
    optInKeywords: number.optInKeywords.join(', '),
    helpKeywords: number.helpKeywords.join(', '),
    helpReply: number.helpReply,
    optOutReply: number.optOutReply,
    optInReply: number.optInReply,
  };
}

const LISTS = [
  { field: 'optOutKeywords', label: 'an opt-out keyword' },
  { field: 'optInKeywords', label: 'an opt-in keyword' },
  { field: 'helpKeywords', label: 'a help keyword' },
] as const;

/** The three keyword lists as typed: each keyword valid, and in one list only. */
function keywordSettings(input: NumberSettingsInput, errors: Record<string, string>): Record<(typeof LISTS)[number]['field'], string[]> {
  const owner = new Map<string, string>();
  const lists = {} as Record<(typeof LISTS)[number]['field'], string[]>;
  for (const { field, label } of LISTS) {
    const { keys, problem } = parseKeywords(input[field] ?? '');
    lists[field] = keys;
    const clashes = keys.filter((key) => owner.has(key));
    if (problem) errors[field] = problem;
    else if (clashes.length) errors[field] = `${clashes.join(', ')} ${clashes.length === 1 ? 'is' : 'are'} already ${owner.get(clashes[0])}: a keyword belongs to one list.`;
    for (const key of keys) if (!owner.has(key)) owner.set(key, label);
  }
  if (!errors.optOutKeywords && !lists.optOutKeywords.length) errors.optOutKeywords = 'Keep at least one opt-out keyword: people must be able to reply STOP.';
  return lists;
}

const REPLIES = [
  { field: 'helpReply', name: 'help reply' },
  { field: 'optOutReply', name: 'opt-out confirmation' },
  { field: 'optInReply', name: 'opt-in reply' },
] as const;

function replySettings(input: NumberSettingsInput, errors: Record<string, string>): Record<(typeof REPLIES)[number]['field'], string> {
  const replies = {} as Record<(typeof REPLIES)[number]['field'], string>;
  for (const { field, name } of REPLIES) {
    const text = (input[field] ?? '').replace(/\r\n/g, '\n').trim();
    replies[field] = text;
    if (!text) errors[field] = `Write the ${name}.`;
    else if ([...text].length > MAX_REPLY) errors[field] = `The ${name} can have at most ${MAX_REPLY} characters; this one has ${[...text].length.toLocaleString('en')}.`;
  }
  return replies;
}

export async function updateInboundNumber(em: EntityManager, number: InboundNumber, input: NumberSettingsInput): Promise<void> {
  const errors: Record<string, string> = {};
  const lists = keywordSettings(input, errors);
  const replies = replySettings(input, errors);
  const gateway = await chosenGateway(em, input.gateway?.trim() || number.gateway.id, errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(number, lists, replies, { gateway });
  await em.flush();
}

/** Back to the keywords of the number's country (its replies stay as they are). */
export async function resetKeywords(em: EntityManager, number: InboundNumber): Promise<void> {
  Object.assign(number, onNumber(asKeys(defaultKeywords(number.country ?? null))));
  await em.flush();
}

/** Deletes the number, unless something still to send needs it; what arrived on it stays (its
 * inbound messages lose the number), its events and per-number opt-outs go with it. */
export async function deleteInboundNumber(em: EntityManager, number: InboundNumber): Promise<void> {
  const users = await usersOfNumber(em, number.id);
  if (users.length) throw new ConflictError(numberInUse(number, users));
  em.remove(number);
  await em.flush();
}

export function numberInUse(number: Pick<InboundNumber, 'number'>, users: { name: string }[]): string {
  const names = users.map((u) => `"${u.name}"`).join(', ');
  return `${number.number} cannot be deleted: it is the sender of ${users.length === 1 ? 'a campaign' : 'campaigns'} still to send (${names}). Give ${users.length === 1 ? 'it' : 'them'} another sender, or wait until ${users.length === 1 ? 'it is' : 'they are'} sent or cancelled.`;
}
