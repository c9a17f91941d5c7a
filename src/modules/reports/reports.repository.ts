// Aggregates for reports, computed by PostgreSQL (one pass over items, no rows in memory).
import type { PrismaClient } from '../../db/prisma.js';

export interface TagSummary {
  tag: string;
  count: number;
  /** Average price, rounded to cents, as a decimal string (no float rounding). */
  averagePrice: string;
}

/** Label of items without any tag; tags match ^[\w-]+$, so it never collides with one. */
export const UNTAGGED = '(untagged)';

export class ReportsRepository {
  constructor(private readonly db: Pick<PrismaClient, '$queryRaw'>) {}

  async itemsPerTag(): Promise<TagSummary[]> {
    const rows = await this.db.$queryRaw<Array<{ tag: string; count: number; average_price: string }>>`
      SELECT tag, COUNT(*)::int AS count, ROUND(AVG(price), 2)::text AS average_price
        FROM items CROSS JOIN LATERAL unnest(tags) AS tag
       GROUP BY tag
      UNION ALL
      SELECT ${UNTAGGED}, COUNT(*)::int, ROUND(AVG(price), 2)::text
        FROM items WHERE cardinality(tags) = 0
      HAVING COUNT(*) > 0
      ORDER BY 1`;
    return rows.map((row) => ({ tag: row.tag, count: row.count, averagePrice: row.average_price }));
  }
}
