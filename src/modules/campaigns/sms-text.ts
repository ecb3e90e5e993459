// SMS text rules for the campaign editor (live counter) and the dispatcher (thousands of messages
// per second): part counting, look-alike replacement, placeholders.
//
// countParts() must agree with the reference calculator, `sms-segments-calculator` (Twilio's
// segment calculator, DESIGN.md "SMS parts"), on every input; test/campaigns/sms-text.test.ts holds
// them equal on thousands of generated strings. The reference costs about 580 µs a message; this
// counter walks UTF-16 code units over lookup tables and allocates nothing per character.
//
// How the reference counts, and so how this module counts:
// - It splits the text into grapheme clusters with `grapheme-splitter` 1.0.4 (UAX #29 of Unicode
//   10, with that library's own quirks), then splits every "\r\n" cluster back into "\r" and "\n".
//   The grapheme-break property table below is that library's table, run-length encoded; the
//   break rules in clusterEnd() reproduce its shouldBreak() (including the quirks noted there).
// - GSM-7 when every cluster is a single code unit of the GSM 03.38 basic or extension table (the
//   calculator's table: lower-case "ç" and the backtick are NOT in it, "Ç" is), else UCS-2.
// - Sizes: GSM-7 one septet a character, two for the extension characters (form feed,
//   ^ { } \ [ ~ ] | €); UCS-2 one 16-bit unit per UTF-16 code unit of the cluster (a surrogate pair
//   takes 2, an emoji ZWJ sequence or a letter with combining marks takes all of its code units).
// - Parts: clusters fill a first part of 160 septets / 70 units; when one does not fit, the first
//   part gets its 6-byte header and gives back trailing clusters until it holds at most 153 / 67,
//   those clusters open the second part, and every further part holds at most 153 / 67. A cluster
//   is never split, so an escape pair or a surrogate pair moves whole to the next part. A cluster
//   longer than a part's room (71+ code units of combining marks, say) is not split either: the
//   calculator lets it overflow its part, so such texts get fewer parts than their units need
//   (one 140-unit cluster: 2 parts, the first one empty), and this module counts the same.
//   For GSM-7 (characters of 1 or 2 septets) all this comes down to a greedy fill of 153-septet
//   parts once the text is over 160; for UCS-2 the first part's hand-over is computed exactly.
// - Speed: a GSM-7 text is one pass over a septet table; in UCS-2, two neighbouring code units
//   whose break properties never join (letters of most scripts, CJK, punctuation) are separate
//   characters without running the cluster rules, which only run around marks, jamo and emoji.
// - `characters` is the calculator's `numberOfCharacters`: for GSM-7 the number of SEPTETS (an
//   extension character counts 2, so it equals `units`); for UCS-2 the number of clusters.
// - One documented difference: the empty text is 0 parts here (the calculator says 1).
//
// Placeholders (documented for the editor's help text):
//   {{first_name}}                      the value, or nothing when it is empty or missing
//   {{first_name|there}}                the value, or "there" when it is empty or missing
//   {{first_name|there|capitalize}}     the value capitalised, or "there" as written
//   {{first_name||upper}}               the value upper-cased, or nothing
//   {{event.order_id}}                  a field of the external event that triggered an automation
// - Names: [a-z][a-z0-9_]* or event.[a-z][a-z0-9_]* (lower case only); spaces are allowed around
//   the name and the transform: {{ first_name | there | capitalize }}.
// - The fallback is literal text without | { } or line breaks; it is trimmed, and an empty
//   fallback means none.
// - Transforms: upper, lower, capitalize (each word, split on spaces and hyphens, gets an
//   upper-case first letter and lower-case rest: "JEAN-LUC" -> "Jean-Luc", but "McDonald" ->
//   "Mcdonald"). A transform applies to the value only: the fallback is inserted exactly as the
//   author wrote it.
// - Values are trimmed; null, undefined, NaN and blank strings count as empty. Numbers and
//   booleans are written with String().
// - Anything else between {{ and }} (upper-case names, unknown transforms, braces in the fallback)
//   is not a placeholder: it is left untouched by renderTemplate() and reported by
//   malformedPlaceholders() so the editor can refuse it.

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface PartCount {
  encoding: SmsEncoding;
  /** The calculator's numberOfCharacters: septets for GSM-7, grapheme clusters for UCS-2. */
  characters: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  /** Message parts; 0 for the empty text. */
  parts: number;
  /** Capacity of each part in units: 160 / 70 for a single part, 153 / 67 once concatenated. */
  perPart: number;
  /** The distinct characters (clusters) that forced UCS-2, in order of first appearance. */
  unicodeCharacters: string[];
}

/** Providers cap a message at about 10 parts (facts.md). */
export const MAX_PARTS = 10;

export const GSM_SINGLE_PART = 160;
export const GSM_CONCAT_PART = 153;
export const UCS2_SINGLE_PART = 70;
export const UCS2_CONCAT_PART = 67;

// ---------------------------------------------------------------------------------------------
// GSM 03.38 table: septets per UTF-16 code unit (0 = not GSM-7).

const GSM_BASIC =
  '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz' +
  '¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const GSM_SEPTETS = new Uint8Array(0x10000);
for (let i = 0; i < GSM_BASIC.length; i++) GSM_SEPTETS[GSM_BASIC.charCodeAt(i)] = 1;
for (let i = 0; i < GSM_EXTENSION.length; i++) GSM_SEPTETS[GSM_EXTENSION.charCodeAt(i)] = 2;

/** True when the whole text is GSM-7 (basic or extension table). */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (GSM_SEPTETS[text.charCodeAt(i)] === 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Grapheme-break properties, numbered as in grapheme-splitter.

const CR = 0;
const LF = 1;
const CONTROL = 2;
const EXTEND = 3;
const RI = 4;
const SPACING_MARK = 5;
const L = 6;
const V = 7;
const T = 8;
const LV = 9;
const LVT = 10;
const OTHER = 11;
const PREPEND = 12;
const E_BASE = 13;
const E_MODIFIER = 14;
const ZWJ = 15;
const GLUE_AFTER_ZWJ = 16;
const E_BASE_GAZ = 17;
/** Only in the encoded table: the Hangul syllables U+AC00..U+D7A3, LV every 28th, else LVT. */
const HANGUL_SYLLABLE = 18;

// grapheme-splitter 1.0.4's getGraphemeBreakProperty() for U+0000..U+10FFFF as runs: a letter
// (A + property) then the run length in base 36. Generated once from that function by walking
// every code point; the test suite holds the result equal to the calculator.
const BREAK_PROPERTY_RUNS =
  'CaB1C2A1CiL2nCxLdC1LgiD34L7nD7L7bD19L1D1L1D2L1D2L1D1L1kM6LaDbL1C1L1aDlLgD1L2tD7M1L1D6L2D2L1D4LxM1L1D' +
  '1LuDrL2jDbL1mD9LyD4L1D9L1D3L1D5L17D3L3cDeM1DwF1L1iD1F1D1L1F3D8F4D1F2L1D7LaD2LtD1F2L1kD1L1D1F2D4L2F2L' +
  '2F2D1L9D1LaD2LtD2F1L1kD1L1F3D2L4D2L2D3L3D1LuD2L3D1LbD2F1L1kD1L1F3D5L1D2F1L1F2D1LkD2LmD6L1D1F2L1kD1L1' +
  'D2F1D4L2F2L2F2D1L8D2LaD2LuD1L1nD1F1D1F2L3F3L1F3D1L9D1L14D1F3L1mD3F4L1D3L1D4L7D2LbD2LtD1F2L1kD1L1F1D1' +
  'F2D1F2L1D1F2L1F2D2L7D2LbD2LsD2F2L1jD2L1D1F2D4L1F3L1F3D1M1L8D1LaD2LuF2L1yD1L4D1F2D3L1D1L1F7D1LiF2L1pD' +
  '1L1F1D7LcD8L2qD1L1F1D6L1D2LbD6L22D2LrD1L1D1L1D1L4F2L1dDeF1D5L1D2L5DbL1D10L9D1L2uD4F1D6L1D2F2D2LnF2D2' +
  'L4D3LgD4LdD1L1F1D2L6D1LfD1L2qG2oH20I2gL9pD3LqaD3LtD3LtD2LuD2L1sD2F1D7F8D1F2DbL9D1L19D3C1L3aD2LyD1L3a' +
  'D3F4D2F3L4F2D1F6D3L63D2F2D1L1lF1D1F1D7L1D1L1D1L2D8F6DaL2D1L1cDfL1tD4F1L1bD1F1D5F1D1F5D1F2L12D9LcD2F1' +
  'LuF1D4F2D2F1D3L1kD1F1D2F3D1F1D3F2L1cF8D8F2D2L48D3L1DdF1D7L4D1L4F2D1L2F1D2L5iD1mL1D5LejC1D1P1C2LoC7L1' +
  'dCgL2oDxL10sN1LyQ1L1Q1L2aQ2L2qN1LeQ1L1N4L2eQ1L13eD3L3xD1L2oDwLfeD6L2xD2Ln9wD4L1DaLwD2L28D2L7kD1L3D1L' +
  '4D1LnF2D2F1L2gF2L1eFgD2LqDiL1gD8LpDbF2LcGtL3D3F1L1bD1F2D4F2D1F4L10D1L1vD6F2D2F2D2LcD1L8D1F1L1aD1L1fD' +
  '1L1D3L2D2L5D2L1D1L15F1D2F2L5F1D1L6kF2D1F2D1F2L1F1D1LiS8mcLcHnL4I1dL4C1kwL5cuD1LkhDgLgDgL5rC1L4eD2L28' +
  'CcLe9D1L6aD1L45D5L1aeD3L1D2L5D4L14D3L4D1L4lD2L109F1D1F1L1hDfL1kD3F1L19F3D4F2D2L2M1L1uD3L10D5F1D8L1qD' +
  '1LcD2F1L1cF3D9F2L1M2L6D3L2nF3D3F2D1F1D2L6D1L4gD1F3D8LlD2F2L1kD1L1D1F1D1F4L2F2L2F3L9D1LaF2L2D7L3D5L5c' +
  'F3D8F2D3F1D1L2xD1F2D6F1D1F2D1F1D2F1D2L6jD1F2D4L2F4D2F1D2LrD2L2aF3D8F2D1F1D2L2yD1F1D1F2D6F1D1L2tD3F2D' +
  '4F1D5Lk5D6F2D2L14D6F1M1D4L8D1L9D6F2D3L16M4DdF1D2Lb9F1D7L1D6F1D1L2aDmL1F1D7F1D2F1D2L3eD6L3D1L1D2L1D7M' +
  '1D1Lfc8D5L1nD7Lt6F1aLgD4Lf7uD2L1C4L43lD1F1D3L3F1D5C8D8L2D7LuD4L44D3L1izD1jL4D1eL8D1LeD1LmD5L1DfL11sD' +
  '7L1DhL2D7L1D2L1D5L1phD7L31D7L1p7EqL7cQ1L1hQ1L1gQ1LhN1LdQ1LgQ1L3Q1LpN3L2N1L2N3LuQ1L1Q1LdO5L1uN2L2NbLl' +
  'R4L4N1L1N9L3N1L4N3L1N3L3Q1LuN1LgQ2L2yQ1L4Q1L1zN2L4N1LlN1L4N2L29Q1L2kN3L3N5L1cQ1LhQ1LgN1LgN3L9N1LbN1L' +
  'gbN5L1N2L6N1L9NaL3N2L42NdLgw0yCwD2oC3kD6oC2s0L44jk';
/** Properties of U+0000..U+1FFFF; above, the few non-Other runs (plane 14) are in HIGH_RUNS. */
const LOW_LIMIT = 0x20000;
const LOW_PROPERTIES = new Uint8Array(LOW_LIMIT).fill(OTHER);
const HIGH_RUNS: number[] = []; // start, end (inclusive), property, ...
{
  let codePoint = 0;
  for (const [, letter, length] of BREAK_PROPERTY_RUNS.matchAll(/([A-S])([0-9a-z]+)/g)) {
    const property = letter!.charCodeAt(0) - 65;
    const end = codePoint + parseInt(length!, 36); // exclusive
    if (property === HANGUL_SYLLABLE) {
      for (let c = codePoint; c < end; c++) LOW_PROPERTIES[c] = (c - 0xac00) % 28 === 0 ? LV : LVT;
    } else if (property !== OTHER) {
      if (codePoint < LOW_LIMIT) LOW_PROPERTIES.fill(property, codePoint, Math.min(end, LOW_LIMIT));
      if (end > LOW_LIMIT) HIGH_RUNS.push(Math.max(codePoint, LOW_LIMIT), end - 1, property);
    }
    codePoint = end;
  }
  if (codePoint !== 0x110000) throw new Error(`sms-text: grapheme-break table covers ${codePoint.toString(16)} code points`);
}

/** grapheme-splitter's grapheme-break property of a code point, in its numbering (for the tests). */
export function graphemeBreakProperty(codePoint: number): number {
  if (codePoint < 0 || codePoint > 0x10ffff) return OTHER;
  return breakProperty(codePoint);
}

function breakProperty(codePoint: number): number {
  if (codePoint < LOW_LIMIT) return LOW_PROPERTIES[codePoint]!;
  for (let i = 0; i < HIGH_RUNS.length; i += 3) {
    if (codePoint >= HIGH_RUNS[i]! && codePoint <= HIGH_RUNS[i + 1]!) return HIGH_RUNS[i + 2]!;
  }
  return OTHER;
}

/**
 * End (exclusive) of the grapheme cluster that starts at `start`, exactly as grapheme-splitter's
 * nextBreak() finds it. Its shouldBreak(start, mid, next) looks at the whole cluster so far;
 * the same decisions come from a few running facts about that cluster (a[0] = first property,
 * a[1..k-1] = the rest, `prev` = a[k-1], `next` = the candidate). Quirks kept on purpose:
 * - E_Base Extend E_Modifier stays together, but two Extends in between break (GB10 only looks
 *   one Extend back), and so does an E_Modifier after a cluster that had an Extend earlier on.
 * - A Prepend takes the first Regional Indicator of a following flag, which splits the flag.
 * - ZWJ only glues the Glue_After_Zwj / E_Base_GAZ emoji of Unicode 10, so newer ZWJ sequences
 *   (🧑‍🦰, 😶‍🌫️) are two characters.
 * - Lone surrogates are Control.
 */
function clusterEnd(text: string, start: number, length: number): number {
  let i = start + 1;
  let codePoint = text.charCodeAt(start);
  if (codePoint >= 0xd800 && codePoint <= 0xdbff && i < length) {
    const low = text.charCodeAt(i);
    if (low >= 0xdc00 && low <= 0xdfff) {
      codePoint = (codePoint - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      i++;
    }
  }
  if (i >= length) return length;
  const first = breakProperty(codePoint);
  let count = 1; // k: code points in the cluster so far
  let prev = first;
  let prev2 = -1;
  let restAllExtend = true; // a[1..k-1] are all Extend
  let restAllRi = true; // a[1..k-1] are all Regional_Indicator
  let riInRest = 0; // Regional_Indicators in a[1..k-1]
  let riOnlyLeading = true; // those all sit in a run right after a[0]
  let hasExtend = first === EXTEND; // an Extend in a[0..k-1]

  while (i < length) {
    let next = text.charCodeAt(i);
    let width = 1;
    if (next >= 0xd800 && next <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        next = (next - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const e = breakProperty(next);

    // Lookahead terminator of GB10: an E_Modifier after non-emoji + Extend*.
    if (e === E_MODIFIER && count > 1 && restAllExtend && first !== EXTEND && first !== E_BASE && first !== E_BASE_GAZ) return i;
    // Lookahead terminator of GB12/GB13.
    if (e === RI) {
      if (count === 1 && first !== PREPEND && first !== RI) return i;
    } else if (riInRest > 0 && riOnlyLeading && prev !== PREPEND && prev !== RI) {
      return i;
    }
    let join: boolean;
    if (prev === CR && e === LF) join = true; // GB3
    else if (prev === CONTROL || prev === CR || prev === LF) join = false; // GB4
    else if (e === CONTROL || e === CR || e === LF) join = false; // GB5
    else if (prev === L && (e === L || e === V || e === LV || e === LVT)) join = true; // GB6
    else if ((prev === LV || prev === V) && (e === V || e === T)) join = true; // GB7
    else if ((prev === LVT || prev === T) && e === T) join = true; // GB8
    else if (e === EXTEND || e === ZWJ || e === SPACING_MARK) join = true; // GB9, GB9a
    else if (prev === PREPEND) join = true; // GB9b
    else if (
      e === E_MODIFIER &&
      (prev === EXTEND ? count >= 2 && (prev2 === E_BASE || prev2 === E_BASE_GAZ) : !hasExtend && (prev === E_BASE || prev === E_BASE_GAZ))
    )
      join = true; // GB10
    else if (prev === ZWJ && (e === GLUE_AFTER_ZWJ || e === E_BASE_GAZ)) join = true; // GB11
    else if (riInRest > 0) join = false; // GB12/13
    else join = prev === RI && e === RI;
    if (!join) return i;

    if (e !== EXTEND) restAllExtend = false;
    if (e === RI) {
      riInRest++;
      if (!restAllRi) riOnlyLeading = false;
    } else {
      restAllRi = false;
    }
    if (e === EXTEND) hasExtend = true;
    prev2 = prev;
    prev = e;
    count++;
    i += width;
  }
  return length;
}

/**
 * Grapheme-break properties with which a one-code-unit character never joins a neighbour that is
 * also of this kind (the cluster rules only join Extend, ZWJ, SpacingMark, Prepend, Hangul jamo,
 * Regional Indicators and E_Modifiers); CR LF, which the rules join, the calculator splits again.
 */
const SIMPLE_BMP = new Uint8Array(0x10000);
for (let unit = 0; unit < 0x10000; unit++) {
  const property = LOW_PROPERTIES[unit];
  const simple =
    property === OTHER || property === CONTROL || property === CR || property === LF || property === E_BASE || property === E_BASE_GAZ || property === GLUE_AFTER_ZWJ;
  if (simple && (unit < 0xd800 || unit > 0xdfff)) SIMPLE_BMP[unit] = 1;
}

/** End of the calculator's character (cluster, "\r\n" split in two) that starts at `start`. */
function characterEnd(text: string, start: number, length: number): number {
  const next = start + 1;
  if (next >= length) return length;
  if (SIMPLE_BMP[text.charCodeAt(start)] === 1 && SIMPLE_BMP[text.charCodeAt(next)] === 1) return next;
  return clusterEnd(text, start, length);
}

/**
 * The text's characters as the reference calculator splits them: grapheme clusters, with "\r\n"
 * as two characters. (For the editor, e.g. to highlight what forces UCS-2.)
 */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  const length = text.length;
  for (let start = 0; start < length; ) {
    const end = characterEnd(text, start, length);
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Filling parts, as the calculator's _buildSegments() does (see the header comment).

/**
 * Units the first UCS-2 part hands over to the second when it gets its header: it keeps its
 * longest run of whole characters that fits 67 units and gives back the rest of `used`.
 */
function ucs2Carry(text: string, used: number): number {
  let kept = 0;
  for (let start = 0; ; ) {
    const end = characterEnd(text, start, text.length);
    if (kept + (end - start) > UCS2_CONCAT_PART) return used - kept;
    kept += end - start;
    start = end;
  }
}

/** Code units already listed in unicodeCharacters during the current call (by stamp). */
const seenUnits = new Uint32Array(0x10000);
let stamp = 0;

function countUcs2(text: string): PartCount {
  const length = text.length;
  if (++stamp === 0xffffffff) {
    seenUnits.fill(0);
    stamp = 1;
  }
  const unicodeCharacters: string[] = [];
  let seenPairs: number[] | null = null;
  let seenClusters: Set<string> | null = null;
  let characters = 0;
  let parts = 1;
  let used = 0;
  let capacity = UCS2_SINGLE_PART;
  for (let start = 0; start < length; ) {
    const end = characterEnd(text, start, length);
    const size = end - start;
    characters++;
    if (used + size > capacity) {
      used = parts === 1 ? ucs2Carry(text, used) : 0;
      parts++;
      capacity = UCS2_CONCAT_PART;
    }
    used += size;
    if (size === 1) {
      const unit = text.charCodeAt(start);
      if (GSM_SEPTETS[unit] === 0 && seenUnits[unit] !== stamp) {
        seenUnits[unit] = stamp;
        unicodeCharacters.push(text[start]!);
      }
    } else if (size === 2) {
      // Mostly emoji (surrogate pairs): remember the two units as one number, slice only once.
      const key = text.charCodeAt(start) * 0x10000 + text.charCodeAt(start + 1);
      seenPairs ??= [];
      if (!seenPairs.includes(key)) {
        seenPairs.push(key);
        unicodeCharacters.push(text.slice(start, end));
      }
    } else {
      const cluster = text.slice(start, end);
      seenClusters ??= new Set();
      if (!seenClusters.has(cluster)) {
        seenClusters.add(cluster);
        unicodeCharacters.push(cluster);
      }
    }
    start = end;
  }
  return {
    encoding: 'UCS-2',
    characters,
    units: length,
    parts,
    perPart: parts > 1 ? UCS2_CONCAT_PART : UCS2_SINGLE_PART,
    unicodeCharacters,
  };
}

/**
 * Encoding, size and number of parts of a message, equal to sms-segments-calculator's
 * encodingName / numberOfCharacters / segmentsCount / getNonGsmCharacters() on every input,
 * except the empty text: 0 parts here, 1 there.
 */
export function countParts(text: string): PartCount {
  const length = text.length;
  if (length === 0) {
    return { encoding: 'GSM-7', characters: 0, units: 0, parts: 0, perPart: GSM_SINGLE_PART, unicodeCharacters: [] };
  }
  let septets = 0;
  for (let i = 0; i < length; i++) {
    const size = GSM_SEPTETS[text.charCodeAt(i)]!;
    if (size === 0) return countUcs2(text);
    septets += size;
  }
  let parts = 1;
  if (septets > GSM_SINGLE_PART) {
    // With characters of 1 or 2 septets the calculator's fill (160, then trim the first part to
    // 153 and carry the rest) is the plain greedy fill of 153-septet parts: the first part ends
    // up as the longest prefix within 153, and the carried septets (at most 10) always fit.
    let used = 0;
    for (let i = 0; i < length; i++) {
      const size = GSM_SEPTETS[text.charCodeAt(i)]!;
      if (used + size > GSM_CONCAT_PART) {
        parts++;
        used = 0;
      }
      used += size;
    }
  }
  return {
    encoding: 'GSM-7',
    characters: septets,
    units: septets,
    parts,
    perPart: parts > 1 ? GSM_CONCAT_PART : GSM_SINGLE_PART,
    unicodeCharacters: [],
  };
}

/** More parts than providers accept (MAX_PARTS). */
export function tooLong(result: Pick<PartCount, 'parts'>): boolean {
  return result.parts > MAX_PARTS;
}

// ---------------------------------------------------------------------------------------------
// Look-alikes: characters that force UCS-2 although a GSM-7 character looks the same.

/**
 * Look-alike -> GSM-7 replacement. Every key is outside GSM-7 and every value is GSM-7 (the tests
 * check both), so replacing never touches a GSM-7 character. An empty value removes an invisible
 * character. Combining marks and ZWJ / ZWNJ are left alone (they change the letter or emoji they
 * attach to), and so are letters that merely resemble GSM ones (ç, á, Greek capitals).
 */
export const GSM_LOOKALIKES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  const add = (chars: string, replacement: string) => {
    for (const char of chars) map.set(char, replacement);
  };
  // Single quotes, apostrophes and primes: ‘ ’ ‚ ‛ ′ ‵ ` ´ ʹ ʻ ʼ ʽ ˈ ˊ ˋ ‹ › ＇ ｀
  add('\u2018\u2019\u201a\u201b\u2032\u2035\u0060\u00b4\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u2039\u203a\uff07\uff40', "'");
  // Double quotes: “ ” „ ‟ ″ ‶ « » ʺ ˮ 〝 〞 ＂
  add('\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u02ba\u02ee\u301d\u301e\uff02', '"');
  // Hyphens, dashes, minus: ‐ ‑ ‒ – — ― − ﹘ ﹣ －
  add('\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d', '-');
  // Bullets: • ‣ ⁃ ◦ ∙
  add('\u2022\u2023\u2043\u25e6\u2219', '-');
  // Spaces: tab, no-break, en/em/thin/hair..., narrow no-break, medium mathematical, ideographic
  add('\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000', ' ');
  // Line and paragraph separators, next line
  add('\u2028\u2029\u0085', '\n');
  // Invisible: soft hyphen, zero-width space, word joiner, byte-order mark
  add('\u00ad\u200b\u2060\ufeff', '');
  add('\u2026', '...'); // …
  add('\u2024', '.'); // one dot leader
  add('\u2025', '..'); // two dot leader
  add('\u203c', '!!'); // ‼
  add('\u2044\u2215', '/'); // fraction slash, division slash
  // Fullwidth ASCII (！ to ～) -> ASCII (the fullwidth grave accent is mapped to ' above).
  for (let code = 0xff01; code <= 0xff5e; code++) {
    const char = String.fromCharCode(code);
    if (!map.has(char)) map.set(char, String.fromCharCode(code - 0xfee0));
  }
  return map;
})();

const LOOKALIKE_BY_UNIT: (string | undefined)[] = [];
let lookalikeMin = 0xffff;
let lookalikeMax = 0;
for (const [char, replacement] of GSM_LOOKALIKES) {
  LOOKALIKE_BY_UNIT[char.charCodeAt(0)] = replacement;
  lookalikeMin = Math.min(lookalikeMin, char.charCodeAt(0));
  lookalikeMax = Math.max(lookalikeMax, char.charCodeAt(0));
}

/** Of the characters that force Unicode (countParts' unicodeCharacters), those a look-alike
 * replacement changes, each with what it becomes: the editor offers the replacement only for
 * them (an emoji has no GSM-7 equivalent). */
export function lookalikeSwaps(characters: readonly string[]): { character: string; replacement: string }[] {
  return characters.filter((character) => GSM_LOOKALIKES.has(character)).map((character) => ({ character, replacement: GSM_LOOKALIKES.get(character)! }));
}

/** Replaces look-alikes (GSM_LOOKALIKES) by GSM-7 characters; `replaced` counts the characters changed or removed. */
export function replaceLookalikes(text: string): { text: string; replaced: number } {
  let out = '';
  let copied = 0;
  let replaced = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < lookalikeMin || unit > lookalikeMax) continue;
    const replacement = LOOKALIKE_BY_UNIT[unit];
    if (replacement === undefined) continue;
    out += text.slice(copied, i) + replacement;
    copied = i + 1;
    replaced++;
  }
  if (replaced === 0) return { text, replaced };
  return { text: out + text.slice(copied), replaced };
}

// ---------------------------------------------------------------------------------------------
// Placeholders (syntax in the header comment).

export type PlaceholderTransform = 'upper' | 'lower' | 'capitalize';

export interface Placeholder {
  /** first_name, or event.<name>. */
  name: string;
  /** Trimmed fallback text; null when there is none (or it is blank). */
  fallback: string | null;
  transform: PlaceholderTransform | null;
  /** The placeholder exactly as written, braces included. */
  raw: string;
  /** Offset of its "{{" in the text (UTF-16 code units). */
  index: number;
}

export type TemplateValues = Record<string, string | number | boolean | null | undefined>;

/** Fixed length assumed for a placeholder whose length the caller does not know. */
export const DEFAULT_PLACEHOLDER_LENGTH = 10;

const PLACEHOLDER_SOURCE = String.raw`\{\{\s*((?:event\.)?[a-z][a-z0-9_]*)\s*(?:\|([^|{}\r\n]*)(?:\|\s*(upper|lower|capitalize)\s*)?)?\}\}`;
const placeholderPattern = () => new RegExp(PLACEHOLDER_SOURCE, 'g');
const PLACEHOLDER_AT = new RegExp(PLACEHOLDER_SOURCE, 'y');
const BRACED_AT = /\{\{[^{}\r\n]*\}\}/y;

function toPlaceholder(match: RegExpExecArray | RegExpMatchArray): Placeholder {
  const fallback = match[2]?.trim();
  return {
    name: match[1]!,
    fallback: fallback ? fallback : null,
    transform: (match[3] as PlaceholderTransform | undefined) ?? null,
    raw: match[0],
    index: match.index!,
  };
}

/** Every well-formed placeholder, in text order. */
export function parsePlaceholders(text: string): Placeholder[] {
  if (!text.includes('{{')) return [];
  return Array.from(text.matchAll(placeholderPattern()), toPlaceholder);
}

/**
 * What looks like a placeholder but is not one ("{{First Name}}", "{{name|x|bold}}", an unclosed
 * "{{name"), as written, in text order; renderTemplate() would send these literally.
 */
export function malformedPlaceholders(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    let index = text.indexOf('{{', from);
    if (index < 0) return out;
    while (text.charCodeAt(index + 2) === 123) index++; // "{{{name}}}": the placeholder starts at the last "{{"
    PLACEHOLDER_AT.lastIndex = index;
    if (PLACEHOLDER_AT.test(text)) {
      from = PLACEHOLDER_AT.lastIndex;
      continue;
    }
    BRACED_AT.lastIndex = index;
    const braced = BRACED_AT.exec(text);
    if (braced) {
      out.push(braced[0]);
      from = BRACED_AT.lastIndex;
    } else {
      const stop = /[{}\r\n]/g;
      stop.lastIndex = index + 2;
      const end = stop.exec(text)?.index ?? text.length;
      out.push(text.slice(index, Math.min(end, index + 40)));
      from = index + 2;
    }
  }
}

/** Names used in the text that are not in `known`, each once, in text order (the editor refuses them). */
export function unknownPlaceholders(text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const { name } of parsePlaceholders(text)) if (!known.has(name) && !out.includes(name)) out.push(name);
  return out;
}

function valueText(value: TemplateValues[string]): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && Number.isNaN(value)) return '';
  return String(value).trim();
}

function applyTransform(value: string, transform: PlaceholderTransform | null): string {
  switch (transform) {
    case 'upper':
      return value.toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'capitalize':
      return value.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
    default:
      return value;
  }
}

/**
 * Replaces every placeholder by its value (transformed), or by its fallback (as written) when the
 * value is empty or missing, or by nothing. Malformed placeholders stay as they are.
 */
export function renderTemplate(text: string, values: TemplateValues): string {
  if (!text.includes('{{')) return text;
  return text.replace(placeholderPattern(), (_raw, name: string, fallback: string | undefined, transform: PlaceholderTransform | undefined) => {
    const value = valueText(Object.hasOwn(values, name) ? values[name] : undefined);
    if (value === '') return fallback?.trim() ?? '';
    return applyTransform(value, transform ?? null);
  });
}

/**
 * A worst-case stand-in for counting parts before the values are known: each placeholder becomes
 * `lengths[name]` characters (DEFAULT_PLACEHOLDER_LENGTH when unknown; the caller passes the real
 * length of {{unsubscribe_link}}), made of its fallback padded with "x" (so it is as long as the
 * longer of the two, and a non-GSM fallback makes the estimate UCS-2 as the fallback would). "x"
 * is GSM-7 and one unit in either encoding, so the filler never changes the message's encoding
 * on its own.
 */
export function estimateText(text: string, lengths: Readonly<Record<string, number>>): string {
  if (!text.includes('{{')) return text;
  return text.replace(placeholderPattern(), (_raw, name: string, fallback: string | undefined) => {
    const given = Object.hasOwn(lengths, name) ? lengths[name]! : DEFAULT_PLACEHOLDER_LENGTH;
    // A length that is not a finite number >= 0 counts as unknown.
    const length = Number.isFinite(given) && given >= 0 ? Math.ceil(given) : DEFAULT_PLACEHOLDER_LENGTH;
    const written = fallback?.trim() ?? '';
    return written + 'x'.repeat(Math.max(0, length - written.length));
  });
}
