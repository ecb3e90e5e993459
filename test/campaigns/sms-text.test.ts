// SMS text rules: the fast part counter against the reference calculator (sms-segments-calculator)
// on thousands of generated texts, then look-alikes, placeholders and the worst-case estimate.
//
// Generated texts come from a seeded PRNG (mulberry32). The default seed is fixed so runs are
// reproducible; set SMS_TEXT_SEED=<integer> to explore others. A failure prints the seed, the
// generator and the failing text as a JS string literal.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import t from 'tap';
import { SegmentedMessage } from 'sms-segments-calculator';
import { mulberry32 } from '../../bench/args.js';
import {
  countParts,
  graphemes,
  graphemeBreakProperty,
  isGsm7,
  tooLong,
  MAX_PARTS,
  GSM_LOOKALIKES,
  replaceLookalikes,
  parsePlaceholders,
  malformedPlaceholders,
  renderTemplate,
  unknownPlaceholders,
  estimateText,
  DEFAULT_PLACEHOLDER_LENGTH,
  type PartCount,
} from '../../src/modules/campaigns/sms-text.js';

const require = createRequire(import.meta.url);
const SEED = Number(process.env.SMS_TEXT_SEED ?? 20261127) >>> 0;

/** A JS string literal for the text, with every non-ASCII or control code unit escaped. */
function literal(text: string): string {
  let out = "'";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x27 && c !== 0x5c) out += text[i];
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + "'";
}

function reference(text: string, message = new SegmentedMessage(text)): PartCount {
  const encoding = message.encodingName;
  const parts = text === '' ? 0 : message.segmentsCount; // our one documented difference
  return {
    encoding,
    characters: message.numberOfCharacters,
    units: message.messageSize / (encoding === 'GSM-7' ? 7 : 16),
    parts,
    perPart: encoding === 'GSM-7' ? (parts > 1 ? 153 : 160) : parts > 1 ? 67 : 70,
    unicodeCharacters: [...new Set(message.getNonGsmCharacters())],
  };
}

function samePartCount(a: PartCount, b: PartCount): boolean {
  return (
    a.encoding === b.encoding &&
    a.characters === b.characters &&
    a.units === b.units &&
    a.parts === b.parts &&
    a.perPart === b.perPart &&
    a.unicodeCharacters.length === b.unicodeCharacters.length &&
    a.unicodeCharacters.every((char, i) => char === b.unicodeCharacters[i])
  );
}

/**
 * Texts on which countParts or graphemes disagree with the reference, as printable reports
 * (seed, generator, text as a JS literal, both results); at most 5.
 */
function disagreements(label: string, texts: string[]): string[] {
  const failures: string[] = [];
  for (const text of texts) {
    const message = new SegmentedMessage(text);
    const expected = reference(text, message);
    const actual = countParts(text);
    const clustersMatch = graphemes(text).join('\u0000') === message.graphemes.join('\u0000');
    if (!samePartCount(actual, expected) || !clustersMatch) {
      failures.push(
        `seed=${SEED} generator="${label}" text=${literal(text)}\n  countParts: ${JSON.stringify(actual)}\n  reference:  ${JSON.stringify(expected)}` +
          (clustersMatch ? '' : '\n  graphemes differ'),
      );
      if (failures.length === 5) break;
    }
  }
  return failures;
}

// Every BMP code unit on its own, through the reference: gives the alphabets the generators use.
const GSM_BASIC: string[] = [];
const GSM_EXTENSION: string[] = [];
const bmpMismatches: string[] = [];
for (let code = 0; code < 0x10000; code++) {
  const char = String.fromCharCode(code);
  const expected = reference(char);
  if (expected.encoding === 'GSM-7') (expected.units === 2 ? GSM_EXTENSION : GSM_BASIC).push(char);
  if (!samePartCount(countParts(char), expected)) bmpMismatches.push(literal(char));
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));

const CYRILLIC = range(0x430, 0x44f);
const GREEK_SMALL = range(0x3b1, 0x3c9);
const CJK = range(0x4e00, 0x4e80);
const ARABIC = range(0x627, 0x64a);
const LATIN_NOT_GSM = [...'çáíóúâêîôûãõœšžłćńśźżőű'];
const EMOJI = ['😀', '👍', '🎉', '🔥', '❤️', '👍🏽', '👨‍👩‍👧', '🇫🇷', '🇺🇸', '👩🏻‍💻', '🏳️‍🌈', '𝐀', '𠀀', '🀄'];
const COMBINING = ['e\u0301', 'a\u0308', 'n\u0303', 'o\u0302\u0323', '\u0915\u094d\u0937', '\u0e01\u0e33'];
/** One representative of each grapheme-break property of grapheme-splitter (Unicode 10). */
const PROPERTY_SAMPLES = [
  '\r', '\n', '\u0001', '\u0301', '\ufe0f', '\u{1f1e6}', '\u{1f1eb}', '\u0903', '\u1100', '\u1161', '\u11a8', '\uac00', '\uac01',
  'a', '\u0436', '\u0600', '\u261d', '\u{1f44d}', '\u{1f3fb}', '\u200d', '\u2764', '\u{1f466}', '\ud800', '\udc00', '{',
];

function gsmText(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += pick(random, GSM_BASIC);
  return text;
}

t.test('every single BMP character gets the same encoding, size and part count as the reference', async (t) => {
  t.same(bmpMismatches, [], 'no BMP code unit is classified differently');
  t.ok(GSM_BASIC.includes('é') && GSM_BASIC.includes('Ç') && !GSM_BASIC.includes('ç') && !GSM_BASIC.includes('`'), 'é and Ç are GSM-7, ç and ` are not');
  t.same(GSM_EXTENSION.sort(), [...'\f[\\]^{|}~€'].sort(), 'the extension table is form feed and ^ { } \\ [ ~ ] | €');
});

t.test('agrees with the reference on pure GSM texts of every length up to 3 parts', async (t) => {
  const random = mulberry32(SEED);
  const texts: string[] = [];
  for (let length = 0; length <= 480; length++) texts.push(gsmText(random, length), gsmText(random, length));
  t.same(disagreements('gsm-basic', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference when extension characters sit on part boundaries', async (t) => {
  const random = mulberry32(SEED + 1);
  const texts: string[] = [];
  const lengths = [...range(150, 170), ...range(300, 320), ...range(1530, 1540)].map((char) => char.codePointAt(0)!);
  const boundaries = [153, 160, 306, 459, 1377, 1530];
  for (const length of lengths) {
    for (let variant = 0; variant < (length > 1000 ? 8 : 24); variant++) {
      const chars = [...gsmText(random, length)];
      const count = variant < 8 ? 1 : variant < 16 ? between(random, 2, 6) : between(random, 10, 60);
      for (let n = 0; n < count; n++) {
        // Mostly near a boundary (in characters; extension chars shift septets by one each).
        const at = random() < 0.8 ? pick(random, boundaries) - 1 - between(random, -3, 3) - n : between(random, 0, length - 1);
        if (at >= 0 && at < chars.length) chars[at] = pick(random, GSM_EXTENSION);
      }
      texts.push(chars.join(''));
    }
  }
  t.same(disagreements('gsm-extension-boundaries', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference on BMP texts in other scripts (Cyrillic, Greek, CJK, Arabic, accented Latin)', async (t) => {
  const random = mulberry32(SEED + 2);
  const scripts = [CYRILLIC, GREEK_SMALL, CJK, ARABIC, LATIN_NOT_GSM];
  const texts: string[] = [];
  const lengths = [...range(60, 80), ...range(130, 140), ...range(195, 205)].map((char) => char.codePointAt(0)!);
  for (const length of lengths) {
    for (let variant = 0; variant < 20; variant++) {
      const script = pick(random, scripts);
      let text = '';
      // Pure script, or GSM text with a few script characters (a single one is enough for UCS-2).
      const share = variant % 2 === 0 ? 1 : 0.05;
      for (let i = 0; i < length; i++) text += random() < share ? pick(random, script) : pick(random, [...GSM_BASIC, ...GSM_EXTENSION]);
      texts.push(text);
    }
  }
  t.same(disagreements('bmp-scripts', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference when emoji and other astral characters sit on part boundaries', async (t) => {
  const random = mulberry32(SEED + 3);
  const texts: string[] = [];
  const lengths = [...range(60, 80), ...range(130, 140), ...range(195, 205)].map((char) => char.codePointAt(0)!);
  for (const length of lengths) {
    for (let variant = 0; variant < 24; variant++) {
      // `length` code units: BMP filler with emoji placed around units 66..70 / 133..134 / 200..201.
      const filler = variant % 3 === 0 ? GSM_BASIC : CYRILLIC;
      let text = '';
      const targets = [pick(random, [65, 66, 67, 68, 69, 70]), pick(random, [132, 133, 134, 135]), pick(random, [199, 200, 201, 202])];
      while (text.length < length) {
        const nearTarget = targets.some((target) => Math.abs(text.length - target) <= 1);
        const char = nearTarget || random() < 0.05 ? pick(random, EMOJI) : pick(random, filler);
        text += char;
      }
      texts.push(text);
    }
  }
  t.same(disagreements('astral-boundaries', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference on mixed texts (emoji sequences, flags, skin tones, combining marks, CRLF)', async (t) => {
  const random = mulberry32(SEED + 4);
  const pieces = [GSM_BASIC, GSM_BASIC, GSM_EXTENSION, CYRILLIC, EMOJI, COMBINING, ['\r\n', '\n', '\r', ' '], PROPERTY_SAMPLES];
  const texts: string[] = [];
  for (let n = 0; n < 1500; n++) {
    const length = pick(random, [between(random, 1, 80), between(random, 60, 220), between(random, 300, 700)]);
    let text = '';
    while (text.length < length) text += pick(random, pick(random, pieces));
    texts.push(text);
  }
  t.same(disagreements('mixed', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference on random strings of any code points, lone surrogates included', async (t) => {
  const random = mulberry32(SEED + 5);
  const texts: string[] = [];
  for (let n = 0; n < 2000; n++) {
    const length = between(random, 1, n % 4 === 0 ? 400 : 90);
    let text = '';
    for (let i = 0; i < length; i++) {
      const kind = random();
      if (kind < 0.4) text += pick(random, GSM_BASIC);
      else if (kind < 0.7) text += String.fromCharCode(between(random, 0, 0xffff)); // may be a lone surrogate
      else if (kind < 0.85) text += String.fromCodePoint(between(random, 0x10000, 0x1ffff));
      else if (kind < 0.88) text += String.fromCodePoint(between(random, 0xe0000, 0xe01ff));
      else if (kind < 0.9) text += String.fromCodePoint(between(random, 0x20000, 0x10ffff));
      else text += pick(random, PROPERTY_SAMPLES);
    }
    texts.push(text);
  }
  t.same(disagreements('random', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('agrees with the reference on characters longer than a part (long combining or emoji sequences)', async (t) => {
  const random = mulberry32(SEED + 7);
  const clusterOf = (units: number) => pick(random, ['a', 'ж', '\u{1f44d}']) + pick(random, ['\u0301', '\u0308', '\ufe0f']).repeat(Math.max(0, units - 1));
  const texts: string[] = [];
  for (let n = 0; n < 600; n++) {
    let text = '';
    const pieces = between(random, 1, 6);
    for (let i = 0; i < pieces; i++) {
      text += random() < 0.5 ? clusterOf(between(random, 2, 150)) : pick(random, [gsmText(random, between(random, 0, 80)), pick(random, CYRILLIC).repeat(between(random, 1, 70))]);
    }
    texts.push(text);
  }
  t.same(disagreements('oversized-characters', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('splits characters (grapheme clusters) like the reference for every sequence of break properties', async (t) => {
  // All sequences of 1 to 3 property samples, then random longer ones; a non-GSM letter keeps
  // each text in UCS-2 so that `characters` counts clusters.
  const texts: string[] = [];
  for (const a of PROPERTY_SAMPLES) {
    texts.push('ж' + a);
    for (const b of PROPERTY_SAMPLES) {
      texts.push('ж' + a + b);
      for (const c of PROPERTY_SAMPLES) texts.push(a + b + c + 'ж');
    }
  }
  const random = mulberry32(SEED + 6);
  for (let n = 0; n < 4000; n++) {
    let text = '';
    const length = between(random, 4, 12);
    for (let i = 0; i < length; i++) text += pick(random, PROPERTY_SAMPLES);
    texts.push(text);
  }
  t.same(disagreements('break-properties', texts), [], `${texts.length} texts, seed ${SEED}`);
});

t.test('classifies every code point like the reference splitter (grapheme-break property table)', async (t) => {
  // The calculator splits characters with grapheme-splitter, whose property lookup is private:
  // load that file with one line added to expose it, then compare all 0x110000 code points.
  const calculatorDir = path.dirname(require.resolve('sms-segments-calculator'));
  const file = createRequire(path.join(calculatorDir, 'index.js')).resolve('grapheme-splitter');
  const hook = /\treturn this;\r?\n\}/;
  const source = fs.readFileSync(file, 'utf8');
  t.match(source, hook, 'grapheme-splitter still has the shape this test expects (else regenerate BREAK_PROPERTY_RUNS)');
  const sandbox = { module: { exports: {} as unknown } };
  vm.runInNewContext(source.replace(hook, '\tthis.__property = getGraphemeBreakProperty;\n\treturn this;\n}'), sandbox);
  const Splitter = sandbox.module.exports as new () => { __property(codePoint: number): number };
  const property = new Splitter().__property;
  const differences: string[] = [];
  for (let codePoint = 0; codePoint < 0x110000; codePoint++) {
    if (graphemeBreakProperty(codePoint) !== property(codePoint) && differences.push(`U+${codePoint.toString(16).toUpperCase()}`) >= 20) break;
  }
  t.same(differences, [], 'same property for every code point');
});

t.test('a GSM message is 1 part up to 160 characters, then 153 per part', async (t) => {
  const parts = (n: number) => countParts('a'.repeat(n)).parts;
  t.same([parts(1), parts(160), parts(161), parts(306), parts(307), parts(1530), parts(1531)], [1, 1, 2, 2, 3, 10, 11]);
  t.match(countParts('a'.repeat(160)), { encoding: 'GSM-7', characters: 160, units: 160, parts: 1, perPart: 160, unicodeCharacters: [] });
  t.match(countParts('a'.repeat(161)), { parts: 2, perPart: 153 });
});

t.test('extension characters cost two septets and are never split across parts', async (t) => {
  t.match(countParts('€'.repeat(80)), { encoding: 'GSM-7', characters: 160, units: 160, parts: 1 });
  t.match(countParts('€'.repeat(81)), { units: 162, parts: 2 });
  // 152 + € + 152 = 306 septets: the € does not fit the 153rd septet, so a third part is needed.
  t.match(countParts('a'.repeat(152) + '€' + 'a'.repeat(152)), { units: 306, parts: 3 });
  t.match(countParts('a'.repeat(151) + '€' + 'a'.repeat(153)), { units: 306, parts: 2 });
});

t.test('one character outside GSM-7 switches the whole message to UCS-2: 70 units, then 67 per part', async (t) => {
  t.match(countParts('Hello ç'), { encoding: 'UCS-2', characters: 7, units: 7, parts: 1, perPart: 70, unicodeCharacters: ['ç'] });
  t.match(countParts('Привет, мир! Привет'), { encoding: 'UCS-2', unicodeCharacters: [...'Приветм'] });
  t.match(countParts('ж'.repeat(70)), { parts: 1 });
  t.match(countParts('ж'.repeat(71)), { parts: 2, perPart: 67 });
  t.match(countParts('ж'.repeat(134)), { parts: 2 });
  t.match(countParts('ж'.repeat(135)), { parts: 3 });
  t.match(countParts('Café {}'), { encoding: 'GSM-7', units: 9, characters: 9 }, 'é is GSM-7; braces are extension characters');
});

t.test('an emoji takes two units and moves whole to the next part', async (t) => {
  t.match(countParts('😀'), { encoding: 'UCS-2', characters: 1, units: 2, parts: 1, unicodeCharacters: ['😀'] });
  // 66 + 2 + 66 = 134 units = 2 × 67, but the emoji does not fit unit 67: 3 parts.
  t.match(countParts('ж'.repeat(66) + '😀' + 'ж'.repeat(66)), { units: 134, parts: 3 });
  t.match(countParts('ж'.repeat(65) + '😀' + 'ж'.repeat(67)), { units: 134, parts: 2 });
  t.match(countParts('👨‍👩‍👧‍👦'), { characters: 1, units: 11, unicodeCharacters: ['👨‍👩‍👧‍👦'] }, 'a family emoji is one character of 11 units');
  t.match(countParts('Hi 🇫🇷!'), { characters: 5, units: 8 });
  // The reference clusters with Unicode 10 rules: ZWJ sequences of later emoji are 2 characters.
  t.match(countParts('🧑‍🦰'), { characters: 2, units: 5, unicodeCharacters: ['🧑\u200d', '🦰'] });
});

t.test('a single character longer than a part counts as the reference counts it', async (t) => {
  // The reference gives the first part its header, finds the character does not fit, and leaves
  // that part empty: 2 parts whatever the length, and never more for one character.
  const zalgo = (units: number) => 'a' + '\u0301'.repeat(units - 1);
  t.match(countParts(zalgo(70)), { characters: 1, units: 70, parts: 1 });
  t.match(countParts(zalgo(71)), { characters: 1, units: 71, parts: 2 });
  t.match(countParts(zalgo(140)), { characters: 1, units: 140, parts: 2 });
  t.match(countParts(zalgo(68) + zalgo(68)), { characters: 2, units: 136, parts: 2 }, 'fewer parts than 136 units need');
});

t.test('an empty message is 0 parts (the reference says 1)', async (t) => {
  t.match(countParts(''), { encoding: 'GSM-7', characters: 0, units: 0, parts: 0, unicodeCharacters: [] });
  t.equal(new SegmentedMessage('').segmentsCount, 1);
});

t.test('messages over MAX_PARTS parts are too long', async (t) => {
  t.equal(MAX_PARTS, 10);
  t.notOk(tooLong(countParts('a'.repeat(1530))));
  t.ok(tooLong(countParts('a'.repeat(1531))));
  t.notOk(tooLong(countParts('')));
  t.ok(tooLong(countParts('ж'.repeat(671))));
});

t.test('look-alike replacement turns smart punctuation into GSM-7', async (t) => {
  const pasted = '\u201cHello\u201d \u2013 it\u2019s 50%\u00a0off\u2026 \u00abvite\u00bb \u2022 now \u2212 2\u200b';
  t.equal(countParts(pasted).encoding, 'UCS-2');
  const { text, replaced } = replaceLookalikes(pasted);
  t.equal(text, '"Hello" - it\'s 50% off... "vite" - now - 2');
  t.equal(replaced, 11);
  t.equal(countParts(text).encoding, 'GSM-7');
});

t.test('look-alike replacement never changes GSM-7 characters or real Unicode text', async (t) => {
  const gsm = GSM_BASIC.join('') + GSM_EXTENSION.join('');
  t.same(replaceLookalikes(gsm), { text: gsm, replaced: 0 });
  t.same(replaceLookalikes('Привет 😀 ç'), { text: 'Привет 😀 ç', replaced: 0 });
  t.same(replaceLookalikes('👍\u200d'), { text: '👍\u200d', replaced: 0 }, 'ZWJ is kept (it builds emoji)');
  for (const [from, to] of GSM_LOOKALIKES) {
    if (isGsm7(from) || !isGsm7(to)) t.fail(`look-alike ${literal(from)} -> ${literal(to)}: the key must be non-GSM and the value GSM-7`);
  }
  t.same(replaceLookalikes('ＡＢＣ１２３！'), { text: 'ABC123!', replaced: 7 }, 'fullwidth letters and digits');
  t.same(replaceLookalikes('a\tb\u2028c\u00add'), { text: 'a b\ncd', replaced: 3 }, 'tab, line separator, soft hyphen');
});

t.test('placeholders are parsed with fallback and transform', async (t) => {
  const text = 'Hi {{first_name}}, {{ first_name | there | capitalize }}! Order {{event.order_id|?}} {{last_name||upper}}';
  t.same(parsePlaceholders(text), [
    { name: 'first_name', fallback: null, transform: null, raw: '{{first_name}}', index: 3 },
    { name: 'first_name', fallback: 'there', transform: 'capitalize', raw: '{{ first_name | there | capitalize }}', index: 19 },
    { name: 'event.order_id', fallback: '?', transform: null, raw: '{{event.order_id|?}}', index: 64 },
    { name: 'last_name', fallback: null, transform: 'upper', raw: '{{last_name||upper}}', index: 85 },
  ]);
  t.same(parsePlaceholders('no placeholders { here }'), []);
});

t.test('malformed placeholders are left alone and reported', async (t) => {
  const text = 'Hi {{First Name}}, {{name|x|bold}} {{name|a{b}} {{unclosed and {{ok}} {single}';
  t.same(parsePlaceholders(text).map((p) => p.name), ['ok']);
  t.same(malformedPlaceholders(text), ['{{First Name}}', '{{name|x|bold}}', '{{name|a', '{{unclosed and ']);
  t.equal(renderTemplate(text, { ok: 'yes', name: 'Ann' }), 'Hi {{First Name}}, {{name|x|bold}} {{name|a{b}} {{unclosed and yes {single}');
  t.same(malformedPlaceholders('{{{first_name}}}'), [], 'extra braces around a placeholder are literal braces');
  t.equal(renderTemplate('{{{first_name}}}', { first_name: 'Ann' }), '{Ann}');
});

t.test('rendering uses the value, else the fallback, else nothing', async (t) => {
  const text = 'Hi {{first_name|there}}, your code is {{code}}.';
  t.equal(renderTemplate(text, { first_name: 'Ann', code: 42 }), 'Hi Ann, your code is 42.');
  t.equal(renderTemplate(text, { first_name: '', code: null }), 'Hi there, your code is .');
  t.equal(renderTemplate(text, { first_name: '   ' }), 'Hi there, your code is .', 'a blank value uses the fallback');
  t.equal(renderTemplate(text, {}), 'Hi there, your code is .');
  t.equal(renderTemplate('{{flag}} {{n}}', { flag: true, n: NaN }), 'true ');
  t.equal(renderTemplate('{{constructor|x}}', {}), 'x', 'names are looked up as own properties only');
  t.equal(renderTemplate('Order {{event.order_id}}', { 'event.order_id': 'A-1' }), 'Order A-1');
});

t.test('transforms change the value but never the fallback', async (t) => {
  const text = '{{first_name|my friend|capitalize}} {{city||upper}} {{code||lower}}';
  t.equal(renderTemplate(text, { first_name: 'JEAN-LUC', city: 'paris', code: 'AbC' }), 'Jean-Luc PARIS abc');
  t.equal(renderTemplate(text, { first_name: 'mary ann' }), 'Mary Ann  ');
  t.equal(renderTemplate(text, {}), 'my friend  ', 'the fallback stays as written');
});

t.test('the editor is told which placeholder names it does not know', async (t) => {
  const known = new Set(['first_name', 'unsubscribe_link']);
  t.same(unknownPlaceholders('Hi {{first_name}} {{frist_name}} {{event.x}} {{frist_name|y}} {{unsubscribe_link}}', known), ['frist_name', 'event.x']);
  t.same(unknownPlaceholders('Hi {{first_name}}', known), []);
});

t.test('the worst-case estimate counts each placeholder at its expected length', async (t) => {
  const text = 'Hi {{first_name}}! Stop: {{unsubscribe_link}}';
  t.equal(estimateText(text, { unsubscribe_link: 22 }), 'Hi ' + 'x'.repeat(DEFAULT_PLACEHOLDER_LENGTH) + '! Stop: ' + 'x'.repeat(22));
  t.equal(estimateText(text, { first_name: 3, unsubscribe_link: 0 }), 'Hi xxx! Stop: ');
  t.equal(estimateText('{{first_name|my dear friend}}', { first_name: 4 }), 'my dear friend', 'a longer fallback is the worst case');
  t.equal(estimateText('{{first_name|ami}}', { first_name: 6 }), 'amixxx');
  t.equal(countParts(estimateText('Привет {{first_name}}', {})).encoding, 'UCS-2', 'the filler keeps a UCS-2 message UCS-2');
  t.equal(countParts(estimateText('Hello {{first_name}}', {})).encoding, 'GSM-7', 'and a GSM-7 message GSM-7');
  t.equal(countParts(estimateText('Hello {{first_name|ami ç}}', {})).encoding, 'UCS-2', 'a non-GSM fallback counts');
  const long = 'a'.repeat(150) + ' {{first_name}}';
  t.equal(countParts(long.replace('{{first_name}}', 'Al')).parts, 1);
  t.equal(countParts(estimateText(long, {})).parts, 2, 'a message that may not fit one part is counted as two');
});
