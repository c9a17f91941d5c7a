// Inserts imported items. Each row carries (import job id, CSV line), which is unique in the
// table: inserting a batch again (a retried job) skips the rows already there, so a retry never
// inserts a row twice.
//
// With the pg pool, a batch is ONE statement whose single parameter is the batch as JSON
// (jsonb_to_recordset): Prisma's createMany spent about 70 % of the worker's CPU building and
// binding its thousands of parameters (tools/bench/results, import-100k profile). Same table, same
// conflict rule, same values; timestamps are written in UTC like Prisma's.
import type { PgPool, PrismaClient } from '../../db/prisma.js';
import type { ItemData } from '../items/items.schemas.js';

const INSERT_BATCH = `
INSERT INTO items (owner_id, name, description, price, tax, tags, import_job_id, import_line, created_at, updated_at)
SELECT $1, r.name, r.description, r.price, r.tax, r.tags, $2, r.line, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
FROM jsonb_to_recordset($3::jsonb) AS r(name text, description text, price numeric, tax numeric, tags text[], line int)
ON CONFLICT (import_job_id, import_line) DO NOTHING`;

export interface ImportedRow {
  line: number;
  item: ItemData;
}

export class ItemsImportRepository {
  constructor(
    private readonly db: Pick<PrismaClient, 'item'>,
    private readonly pool?: PgPool,
  ) {}

  async insertBatch(ownerId: number, importJobId: string, rows: ImportedRow[]): Promise<number> {
    if (this.pool) {
      const batch = rows.map(({ line, item }) => ({
        name: item.name,
        description: item.description ?? null,
        price: item.price,
        tax: item.tax ?? null,
        tags: item.tags ?? [],
        line,
      }));
      const result = await this.pool.query(INSERT_BATCH, [ownerId, importJobId, JSON.stringify(batch)]);
      return result.rowCount ?? 0;
    }
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
