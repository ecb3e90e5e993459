// Prices per SMS part and destination country, with a default for unlisted countries; edited on
// Settings → Prices or imported from CSV ("country,price" per line). A CSV is checked whole
// before anything changes: one bad line refuses the file.
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from './account.entity.js';
import { parseAmount } from './credits.js';
import { isCountryCode } from '../../phone.js';
import { Price } from './price.entity.js';

export interface PriceTable {
  defaultMicros: number | null;
  byCountry: Map<string, number>;
}

export async function priceTable(em: EntityManager): Promise<PriceTable> {
  const prices = await em.find(Price, {}, { orderBy: { country: 'asc' } });
  return {
    defaultMicros: prices.find((price) => price.country === null)?.partPriceMicros ?? null,
    byCountry: new Map(prices.filter((price) => price.country).map((price) => [price.country!, price.partPriceMicros])),
  };
}

/** The price of one part to a country: its own, else the default, else null (not priced). */
export function partPrice(table: PriceTable, country: string | null): number | null {
  const own = country ? table.byCountry.get(country) : undefined;
  return own ?? table.defaultMicros;
}

const MAX_PART_PRICE_MICROS = 100 * 1_000_000;

function parsePrice(raw: unknown): number | string {
  const text = String(raw ?? '').trim();
  if (text.startsWith('-')) return 'A price cannot be negative.';
  const micros = parseAmount(text);
  if (micros === null) return `"${text}" is not a price (write it like 0.045).`;
  if (micros > MAX_PART_PRICE_MICROS) return 'A price per part above 100 is surely a mistake.';
  return micros;
}

function parseCountry(raw: unknown): string | null | Error {
  const text = String(raw ?? '').trim().toUpperCase();
  if (text === '' || text === '*' || text === 'DEFAULT') return null;
  return isCountryCode(text) ? text : new Error(`"${text}" is not a country code (two letters, such as FR).`);
}

export async function setPrice(em: EntityManager, account: Account, countryInput: unknown, priceInput: unknown): Promise<void> {
  const country = parseCountry(countryInput);
  const micros = parsePrice(priceInput);
  const errors: Record<string, string> = {};
  if (country instanceof Error) errors.country = country.message;
  if (typeof micros === 'string') errors.price = micros;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  await upsertPrices(em, account, [[country as string | null, micros as number]]);
}

async function upsertPrices(em: EntityManager, account: Account, rows: [string | null, number][]): Promise<void> {
  await em.transactional(async (tx) => {
    for (const [country, micros] of rows) {
      const existing = await tx.findOne(Price, { country });
      if (existing) existing.partPriceMicros = micros;
      else tx.create(Price, { account, country, partPriceMicros: micros });
    }
  });
}

export async function removePrice(em: EntityManager, id: string): Promise<void> {
  await em.nativeDelete(Price, { id });
}

/** Imports "country,price" lines (a header line is allowed; an empty or * country is the default). */
export async function importPrices(em: EntityManager, account: Account, csv: string): Promise<number> {
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: [string | null, number][] = [];
  const problems: string[] = [];
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    const cells = line.split(/[,;\t]/).map((cell) => cell.trim().replace(/^"|"$/g, ''));
    if (index === 0 && /country/i.test(cells[0] ?? '')) return;
    if (cells.length < 2) {
      problems.push(`Line ${index + 1}: expected "country,price".`);
      return;
    }
    const country = parseCountry(cells[0]);
    const micros = parsePrice(cells[1]);
    if (country instanceof Error) problems.push(`Line ${index + 1}: ${country.message}`);
    else if (typeof micros === 'string') problems.push(`Line ${index + 1}: ${micros}`);
    else rows.push([country, micros]);
  });
  if (problems.length) throw new ValidationError({ csv: problems.slice(0, 20).join(' ') + (problems.length > 20 ? ` (and ${problems.length - 20} more)` : '') }, 'Nothing was imported.');
  if (!rows.length) throw new ValidationError({ csv: 'The file has no prices.' });
  await upsertPrices(em, account, rows);
  return rows.length;
}
