import { Type, type Static, type TSchema } from 'typebox';
import { INT4_MAX } from './ids.js';

/**
 * `?skip=&limit=` shared by every list endpoint; spread into each list's query schema. Both have
 * defaults, so both are optional for clients (the document says so, see completeDocument); skip
 * is bounded like the ids: no table holds more rows than an int4 id can number.
 */
export const MAX_PAGE_SIZE = 100;
export const paginationProperties = {
  skip: Type.Integer({ minimum: 0, maximum: INT4_MAX, default: 0, description: 'Rows to skip (default 0)' }),
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: 10,
    description: `Rows to return, 1..${MAX_PAGE_SIZE} (default 10)`,
  }),
};
export const PaginationQuery = Type.Object(paginationProperties, { additionalProperties: false });
export type Pagination = Static<typeof PaginationQuery>;

/** The `{ items, total, totalIsExact, skip, limit }` envelope of every list response. */
export function Page<T extends TSchema>(item: T, title: string) {
  return Type.Object(pageProperties(item), { title });
}

/** A page of a list that also pages by cursor: `nextCursor` opens the next page, null on the last. */
export function CursorPage<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      ...pageProperties(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page',
      }),
    },
    { title },
  );
}

function pageProperties<T extends TSchema>(item: T) {
  return {
    items: Type.Array(item, { maxItems: MAX_PAGE_SIZE }),
    total: Type.Integer({
      minimum: 0,
      description: 'How many rows match: exact when totalIsExact, otherwise a lower bound (counting stopped there)',
    }),
    totalIsExact: Type.Boolean({
      description: 'False when the count stopped at its cap instead of reading every matching row',
    }),
    skip: Type.Integer({ minimum: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
  };
}

/**
 * A count of matching rows. Counting every row of a large table costs a scan per page (620 ms at
 * 1M items), so a list may stop counting at a cap: `total` is then the cap, a lower bound, and
 * `totalIsExact` false.
 */
export interface Count {
  total: number;
  totalIsExact: boolean;
}

/** What a count that read at most `cap + 1` rows says. */
export function cappedCount(counted: number, cap: number): Count {
  return counted > cap ? { total: cap, totalIsExact: false } : { total: counted, totalIsExact: true };
}

export interface PageResult<T> extends Count {
  items: T[];
  skip: number;
  limit: number;
}

/** A page of a list that also pages by cursor (CursorPage). */
export interface CursorPageResult<T> extends PageResult<T> {
  /** The next page's cursor, null on the last page. */
  nextCursor: string | null;
}
