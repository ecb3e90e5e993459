// The sortable headers of the reporting tables (the Dashboard's countries, the Reporting list):
// each column's link sorts by it, in the other direction when it is already the sort, and says
// which column is sorted for screen readers (aria-sort). Drawn by views/_partials/sort-header.eta.

export type SortDirection = 'asc' | 'desc';

export interface SortHeader {
  href: string;
  ariaSort: 'ascending' | 'descending' | 'none';
}

/** The header of each column: `first` is the direction a column starts in when first chosen,
 * `hrefFor` the URL that sorts by a column in a direction (keeping the page's other filters). */
export function sortHeaders<C extends string>(
  columns: readonly C[],
  current: { sort: C; dir: SortDirection },
  first: (column: C) => SortDirection,
  hrefFor: (column: C, dir: SortDirection) => string,
): Record<C, SortHeader> {
  const header = (column: C): SortHeader => {
    const sorted = column === current.sort;
    const dir: SortDirection = sorted ? (current.dir === 'asc' ? 'desc' : 'asc') : first(column);
    return { href: hrefFor(column, dir), ariaSort: sorted ? (current.dir === 'asc' ? 'ascending' : 'descending') : 'none' };
  };
  return Object.fromEntries(columns.map((column) => [column, header(column)])) as Record<C, SortHeader>;
}
