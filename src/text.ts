// Small text helpers shared by every module.

/** Lower-case ASCII letters and digits joined by `separator`: accents dropped, everything else a
 * separator ("Été 2026!" → "ete-2026"). For file names and keys made from labels. */
export function slugify(text: string, separator: '-' | '_' = '-'): string {
  const collapsed = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator);
  return collapsed.startsWith(separator) || collapsed.endsWith(separator) ? collapsed.split(separator).filter(Boolean).join(separator) : collapsed;
}
