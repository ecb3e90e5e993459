// Money is integer micro-units of the account currency (1 EUR = 1,000,000), never a float.
export const MICROS_PER_UNIT = 1_000_000;

// Building an Intl.NumberFormat costs far more than using one: keep one per currency.
const formats = new Map<string, Intl.NumberFormat | null>();

function formatFor(currency: string): Intl.NumberFormat | null {
  if (!formats.has(currency)) {
    try {
      formats.set(currency, new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 4 }));
    } catch {
      formats.set(currency, null);
    }
  }
  return formats.get(currency)!;
}

export function formatMoney(micros: number | bigint, currency: string): string {
  const value = Number(micros) / MICROS_PER_UNIT;
  return formatFor(currency)?.format(value) ?? `${value.toFixed(2)} ${currency}`;
}
