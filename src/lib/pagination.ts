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

/** The `{ items, total, skip, limit }` envelope of every list response. */
export function Page<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      items: Type.Array(item, { maxItems: MAX_PAGE_SIZE }),
      total: Type.Integer({ minimum: 0 }),
      skip: Type.Integer({ minimum: 0 }),
      limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
    },
    { title },
  );
}

export interface PageResult<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
}
