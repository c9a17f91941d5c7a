// Reads items for the CSV export in keyset-paginated batches: each batch continues after the
// last row of the previous one (`(sortValue, id) > (last.sortValue, last.id)`), so every
// batch is an index range scan, no OFFSET grows with the export, rows inserted or deleted
// meanwhile do not shift or repeat rows, and memory holds one batch at a time.
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { itemOrderBy, itemWhere, type ItemFilter, type ItemSort } from './items.repository.js';

/** An item as exported: scalar columns only (images are not part of the CSV). */
export interface ExportedItem {
  id: number;
  ownerId: number;
  name: string;
  description: string | null;
  /** Exact decimal text with two places, e.g. "49.90" (never a float). */
  price: string;
  tax: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

const columns = { id: true, ownerId: true, name: true, description: true, price: true, tax: true, tags: true, createdAt: true, updatedAt: true } as const;
type Row = Prisma.ItemGetPayload<{ select: typeof columns }>;

type SortField = 'name' | 'price' | 'createdAt';

export class ItemsExportRepository {
  constructor(private readonly db: Pick<PrismaClient, 'item'>) {}

  /** Yields batches of at most `batchSize` rows in `sort` order until the filter is exhausted. */
  async *batches(filter: ItemFilter, sort: ItemSort, batchSize: number): AsyncGenerator<ExportedItem[]> {
    const where = itemWhere(filter);
    const orderBy = itemOrderBy(sort);
    const field = sort.replace(/^-/, '') as SortField;
    const descending = sort.startsWith('-');
    let last: Row | undefined;
    for (;;) {
      const rows: Row[] = await this.db.item.findMany({
        where: last ? { AND: [where, after(last, field, descending)] } : where,
        orderBy,
        take: batchSize,
        select: columns,
      });
      if (rows.length > 0) yield rows.map(toExported);
      if (rows.length < batchSize) return;
      last = rows[rows.length - 1];
    }
  }
}

/**
 * Rows strictly after `last` in (field, id) order, in the sort's direction. The first condition
 * is implied by the second but is what PostgreSQL can use as an index bound: without it the
 * OR is only a filter and every batch rescans the index from the start (quadratic export).
 */
function after(last: Row, field: SortField, descending: boolean): Prisma.ItemWhereInput {
  const [beyond, beyondOrAt] = descending ? (['lt', 'lte'] as const) : (['gt', 'gte'] as const);
  return {
    AND: [
      { [field]: { [beyondOrAt]: last[field] } },
      { OR: [{ [field]: { [beyond]: last[field] } }, { [field]: last[field], id: { [beyond]: last.id } }] },
    ],
  };
}

function toExported(row: Row): ExportedItem {
  return {
    ...row,
    price: row.price.toFixed(2),
    tax: row.tax === null ? null : row.tax.toFixed(2),
  };
}
