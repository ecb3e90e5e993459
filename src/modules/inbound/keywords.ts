// Keywords of inbound SMS (facts.md "Opt-out, opt-in and help keywords"): how a message's text
// is matched against its number's lists (the lists, their defaults by country and the key form
// live with the number: gateways/number-keywords.ts). Matching is case-insensitive and
// accent-insensitive (ARRÊT is ARRET), ignores surrounding spaces and punctuation, and reads the
// spaced and hyphenated forms people type ("OPT OUT", "STOP ALL"). An opt-out keyword may also be
// followed by "ALL" or by the short number it was sent to ("STOP au 36180", as French marketing
// SMS print it). Everything here is a linear scan.
import { keywordKey, wordsOf, type KeywordLists } from '../gateways/index.js';

export { DEFAULT_KEYWORDS, defaultKeywords, keywordKey, wordsOf, type KeywordLists } from '../gateways/index.js';

/** Is this the whole message, keyword-wise? "Stop.", " opt out ", "Opt-Out!" all read OPTOUT. */
function isExactly(words: string[], keys: Set<string>): string | null {
  const joined = words.join('');
  return joined && keys.has(joined) ? joined : null;
}

/** What follows an opt-out keyword and still means "stop": ALL, or the short number ("au 36180"). */
function isStopTail(tail: string[]): boolean {
  if (tail.length === 1 && tail[0] === 'ALL') return true;
  const number = tail.length === 2 && ['AU', 'TO', 'A'].includes(tail[0]) ? tail[1] : tail.length === 1 ? tail[0] : null;
  return number !== null && /^[0-9]{3,8}$/.test(number);
}

export type KeywordMatch = { kind: 'opt_out' | 'opt_in' | 'help'; keyword: string };

/** The opt-out, opt-in or help keyword a message is, with this number's lists; null otherwise.
 * Opt-out is tried first: a message that could be read two ways stops. */
export function matchKeyword(text: string, lists: KeywordLists): KeywordMatch | null {
  const words = wordsOf(text);
  if (!words.length || words.length > 6) return null;
  const optOut = new Set(lists.optOut.map(keywordKey));
  const exactStop = isExactly(words, optOut);
  if (exactStop) return { kind: 'opt_out', keyword: exactStop };
  if (optOut.has(words[0]) && isStopTail(words.slice(1))) return { kind: 'opt_out', keyword: words[0] };
  const optIn = isExactly(words, new Set(lists.optIn.map(keywordKey)));
  if (optIn) return { kind: 'opt_in', keyword: optIn };
  const help = isExactly(words, new Set(lists.help.map(keywordKey)));
  if (help) return { kind: 'help', keyword: help };
  return null;
}

/** The first word of a message, as inbound event keywords are matched (case-insensitive). */
export function firstWord(text: string): string | null {
  return wordsOf(text)[0] ?? null;
}

/** The text after the first word (what an inbox event saves), trimmed. */
export function afterFirstWord(text: string): string {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  return space < 0 ? '' : trimmed.slice(space).trim();
}

const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$/;

/** The first email address in a text, lower-cased; each whitespace-separated token is tested
 * alone, with surrounding punctuation taken off, so the scan stays linear. */
export function emailIn(text: string): string | null {
  for (const token of text.split(/\s+/)) {
    if (!token.includes('@') || token.length > 260) continue;
    const candidate = token.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
    if (candidate.length <= 254 && EMAIL.test(candidate)) return candidate.toLowerCase();
  }
  return null;
}

/** An inbound event keyword as the reference defines it: at least two Latin letters or digits,
 * nothing else. Returns the problem, or null. */
export function eventKeywordProblem(keyword: string): string | null {
  if (!/^[A-Za-z0-9]{2,30}$/.test(keyword)) return `"${keyword}" is not a keyword: use 2 to 30 Latin letters and digits (a-z, 0-9), no spaces or accents.`;
  return null;
}
