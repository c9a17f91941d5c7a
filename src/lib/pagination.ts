import { Type, type Static, type TSchema } from 'typebox';

/** `?skip=&limit=` shared by every list endpoint; spread into each list's query schema. */
export const paginationProperties = {
  skip: Type.Integer({ minimum: 0, default: 0, description: 'Rows to skip' }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Rows to return, 1..100' }),
};
export const PaginationQuery = Type.Object(paginationProperties, { additionalProperties: false });
export type Pagination = Static<typeof PaginationQuery>;

/** The `{ items, total, skip, limit }` envelope of every list response. */
export function Page<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ minimum: 0 }),
      skip: Type.Integer({ minimum: 0 }),
      limit: Type.Integer({ minimum: 1 }),
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
