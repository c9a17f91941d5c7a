// Ids of the serial (int4) primary keys. A path or query id beyond int4 would reach PostgreSQL
// and fail there as a 500 ("value out of range for type integer"); bounded here it is a 422.
import { Type } from 'typebox';

/** PostgreSQL `integer` (int4): the largest id a serial column holds, 2^31-1. */
export const INT4_MAX = 2_147_483_647;

/** One schema for every integer id the API takes (path or query). */
export const SerialId = Type.Integer({
  minimum: 1,
  maximum: INT4_MAX,
  description: 'A positive id, 1..2147483647',
  examples: [1],
});

/** `/{id}` of the resources with serial ids (items, users, API keys). */
export const IdParams = Type.Object({ id: SerialId });
