// Inserts imported items. Each row carries (import job id, CSV line), which is unique in the
// table: inserting a batch again (a retried job) skips the rows already there, so a retry never
// inserts a row twice.
import type { PrismaClient } from '../../db/prisma.js';
import type { ItemData } from '../items/items.repository.js';

export interface ImportedRow {
  line: number;
  item: ItemData;
}

export class ItemsImportRepository {
  constructor(private readonly db: Pick<PrismaClient, 'item'>) {}

  async insertBatch(ownerId: number, importJobId: string, rows: ImportedRow[]): Promise<number> {
    const { count } = await this.db.item.createMany({
      data: rows.map(({ line, item }) => ({
        ownerId,
        name: item.name,
        description: item.description ?? null,
        price: item.price,
        tax: item.tax ?? null,
        tags: item.tags ?? [],
        importJobId,
        importLine: line,
      })),
      skipDuplicates: true,
    });
    return count;
  }

  /** Rows of this import now in the table, whichever attempt inserted them. */
  countImported(importJobId: string): Promise<number> {
    return this.db.item.count({ where: { importJobId } });
  }
}
