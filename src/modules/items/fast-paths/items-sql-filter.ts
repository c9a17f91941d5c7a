// The list's filters and sort written in SQL, for the two fast paths that send their own SQL
// (the list on the pg pool and the COPY export). They state the same conditions as itemWhere
// and itemOrderBy in ../items.repository.ts; test/modules/items/items.repository.test.ts checks
// that the SQL list answers exactly what the Prisma list answers, filter by filter.
import { sortFieldOf, type ItemPosition, type SortField } from '../items-cursor.js';
import { itemSearchSql } from '../items-search.js';
import type { ItemFilter, ItemSort } from '../items.schemas.js';

const SORT_COLUMNS: Record<SortField, string> = { name: 'name', price: 'price', createdAt: 'created_at' };

/** ` ORDER BY <column> <dir>, id <dir>`: the id tie-breaker keeps pages (and exports) stable. */
export function itemOrderSql(sort: ItemSort): string {
  const column = SORT_COLUMNS[sortFieldOf(sort)] as string | undefined;
  // The export inlines this text into its COPY statement: never anything but a known column.
  if (!column) throw new TypeError(`unknown sort: ${sort}`);
  const direction = sort.startsWith('-') ? 'DESC' : 'ASC';
  return ` ORDER BY ${column} ${direction}, id ${direction}`;
}

/**
 * ` AND (<column>, id) > ($n, $m)` (`<` descending): the rows after a page's last one, in the
 * order of itemOrderSql, as ../items.repository.ts `itemAfter` states it for Prisma. A row value
 * comparison, so the (column, id) index serves it.
 */
export function itemAfterSql(sort: ItemSort, after: ItemPosition, values: unknown[]): string {
  const column = SORT_COLUMNS[sortFieldOf(sort)];
  const beyond = sort.startsWith('-') ? '<' : '>';
  const value = `$${values.push(after.value)}`;
  const id = `$${values.push(after.id)}`;
  return `(${column}, id) ${beyond} (${value}, ${id})`;
}

/** The WHERE clause of `filter` with numbered parameters, the same conditions as itemWhere. */
export function itemWhereSql(filter: ItemFilter): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (filter.q) where.push(itemSearchSql(param(filter.q)));
  if (filter.tag) where.push(`tags @> ARRAY[${param(filter.tag)}]::text[]`);
  if (filter.minPrice !== undefined) where.push(`price >= ${param(filter.minPrice)}`);
  if (filter.maxPrice !== undefined) where.push(`price <= ${param(filter.maxPrice)}`);
  return { sql: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', values };
}
