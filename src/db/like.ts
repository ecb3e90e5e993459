// LIKE and ILIKE patterns from user text: the wildcards % and _ and the escape \ match
// themselves, so a search for "50%" finds "50%", not everything starting with "50".
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
