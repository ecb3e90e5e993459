// SMS part counting: the fast counter (src/modules/campaigns/sms-text.ts) against the reference
// calculator (sms-segments-calculator) on the same mixed texts.
//
// `npm run bench -- parts [--texts 100000] [--seed 42]`
//
// Texts come from a seeded PRNG: short and long GSM-7 (with extension characters), accented and
// Cyrillic/Greek/CJK UCS-2, emoji (skin tones, ZWJ families, flags), pasted smart punctuation.
// countParts runs over them once untimed (JIT) and then 5 timed rounds (the best is kept); the
// reference runs once (it is about 100 times slower). Both must report the same encoding and part
// count on every text (empty text aside), else the benchmark fails.
// The last line is `BENCH parts texts=<n> fast_us=<µs per text> reference_us=<µs per text> speedup=<x>`.
import { parseArgs } from 'node:util';
import { SegmentedMessage } from 'sms-segments-calculator';
import { countParts } from '../src/modules/campaigns/sms-text.js';
import { positiveInteger, mulberry32 } from './args.js';

const ROUNDS = 5;

function log(line: string) {
  process.stderr.write(`bench parts: ${line}\n`);
}

const WORDS = 'Hi there your order is ready for pickup at our store today only get 20% off with code SAVE20 reply STOP to opt out see you soon thanks'.split(' ');
const EXTENSION = [...'^{}\\[~]|€'];
const ACCENTED = [...'éèàùìòÉÄÖÜäöüñÑßÅåÆæØøÇ'];
const NOT_GSM = [...'çáíóúâêîôûãõłśźżőű'];
const CYRILLIC = [...'приветдрузьязаказготов'];
const GREEK = [...'γειασουφίλεπαραγγελία'];
const CJK = [...'您好您的订单已准备好谢谢'];
const EMOJI = ['😀', '👍', '🎉', '🔥', '❤️', '👍🏽', '👨‍👩‍👧', '🇫🇷', '🏳️‍🌈', '✅'];
const SMART = ['\u201c', '\u201d', '\u2019', '\u2013', '\u2026', '\u00a0'];

function generate(random: () => number, count: number): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const words = (length: number, extra: readonly string[], share: number) => {
    let text = '';
    while (text.length < length) {
      text += pick(WORDS);
      text += random() < share ? pick(extra) : ' ';
    }
    return text;
  };
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = random();
    const length = 20 + Math.floor(random() * (random() < 0.8 ? 140 : 460));
    if (kind < 0.45) texts.push(words(length, ACCENTED, 0.05));
    else if (kind < 0.55) texts.push(words(length, EXTENSION, 0.1));
    else if (kind < 0.65) texts.push(words(length, NOT_GSM, 0.05));
    else if (kind < 0.75) texts.push(Array.from({ length }, () => pick(pick([CYRILLIC, GREEK, CJK]))).join(''));
    else if (kind < 0.9) texts.push(words(length, EMOJI, 0.15));
    else texts.push(words(length, SMART, 0.1));
  }
  return texts;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { texts: { type: 'string' }, seed: { type: 'string' } } });
  const count = positiveInteger('texts', values.texts, 100_000);
  const seed = positiveInteger('seed', values.seed, 42);
  const texts = generate(mulberry32(seed), count);
  log(`${count} texts (seed ${seed}), mean ${(texts.reduce((sum, text) => sum + text.length, 0) / count).toFixed(0)} UTF-16 units`);

  const fastParts = new Int32Array(count);
  const fastEncodings: string[] = new Array(count);
  for (let i = 0; i < count; i++) countParts(texts[i]!); // warm-up
  let fastMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const result = countParts(texts[i]!);
      fastParts[i] = result.parts;
      fastEncodings[i] = result.encoding;
    }
    fastMs = Math.min(fastMs, performance.now() - start);
  }
  log(`countParts: best of ${ROUNDS} rounds ${fastMs.toFixed(1)} ms`);

  let mismatches = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const message = new SegmentedMessage(texts[i]!);
    if (texts[i] !== '' && (message.segmentsCount !== fastParts[i] || message.encodingName !== fastEncodings[i])) {
      if (mismatches++ < 5) log(`mismatch on ${JSON.stringify(texts[i])}: reference ${message.encodingName}/${message.segmentsCount}, fast ${fastEncodings[i]}/${fastParts[i]}`);
    }
    if (i > 0 && i % 20_000 === 0) log(`reference: ${i} texts, ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const referenceMs = performance.now() - start;
  log(`reference: ${referenceMs.toFixed(0)} ms`);
  if (mismatches > 0) throw new Error(`${mismatches} texts where countParts and the reference disagree`);

  const fastUs = (fastMs * 1000) / count;
  const referenceUs = (referenceMs * 1000) / count;
  console.log(`BENCH parts texts=${count} fast_us=${fastUs.toFixed(3)} reference_us=${referenceUs.toFixed(1)} speedup=${(referenceUs / fastUs).toFixed(0)}`);
}
