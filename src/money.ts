// Money is integer micro-units of the account currency (1 EUR = 1,000,000), never a float.
export const MICROS_PER_UNIT = 1_000_000;

export function formatMoney(micros: number | bigint, currency: string): string {
  const value = Number(micros) / MICROS_PER_UNIT;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}
