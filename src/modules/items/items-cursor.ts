// The items list's cursor: where the previous page ended, as the sort it was made for, the sort
// key of its last item and that item's id (the tie-breaker). Opaque to clients (base64url JSON),
// checked on the way back in: a cursor of another sort, or one that does not decode, is a 422.
// Keyset pagination reads only the rows of the page, however deep, and a row inserted meanwhile
// never shifts a page (OFFSET would read and drop every skipped row, and repeat or lose one).
import { ValidationError } from '../../lib/errors.js';
import type { Item, ItemSort } from './items.schemas.js';

/** The position after which the next page starts, in the order of `sort`. */
export interface ItemPosition {
  /** The last item's sort key: its name, its price, or its creation time. */
  value: string | number | Date;
  id: number;
}

export type SortField = 'name' | 'price' | 'createdAt';

export function sortFieldOf(sort: ItemSort): SortField {
  return sort.replace(/^-/, '') as SortField;
}

export function encodeItemCursor(sort: ItemSort, last: Item): string {
  const field = sortFieldOf(sort);
  const value = field === 'createdAt' ? last.createdAt.toISOString() : last[field];
  return Buffer.from(JSON.stringify({ s: sort, v: value, id: last.id })).toString('base64url');
}

const invalid = (message: string) => new ValidationError([{ path: '/querystring/cursor', message }]);
const NOT_A_CURSOR = 'is not a cursor of this list: use the nextCursor of a page';

export function decodeItemCursor(sort: ItemSort, cursor: string): ItemPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid(NOT_A_CURSOR);
  }
  const { s, v, id } = (decoded ?? {}) as { s?: unknown; v?: unknown; id?: unknown };
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    throw invalid(NOT_A_CURSOR);
  }
  if (s !== sort) throw invalid(`was made for sort=${String(s)}: pass the same sort, or start again without cursor`);
  const field = sortFieldOf(sort);
  if (field === 'name' && typeof v === 'string') return { value: v, id };
  if (field === 'price' && typeof v === 'number' && Number.isFinite(v)) return { value: v, id };
  if (field === 'createdAt' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return { value: new Date(v), id };
  throw invalid(NOT_A_CURSOR);
}
