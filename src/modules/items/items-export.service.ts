// The items CSV export: which columns, in which order, and how values become text. Rows come
// from the database batch by batch; nothing here holds more than one batch.
import type { ExportedItem, ItemsExportRepository } from './items-export.repository.js';
import type { ItemFilter, ItemSort } from './items.repository.js';

/** The import's columns first (`name,description,price,tax,tags`, tags joined by `|`), then read-only ones. */
export const EXPORT_COLUMNS = ['id', 'name', 'description', 'price', 'tax', 'tags', 'ownerId', 'createdAt', 'updatedAt'] as const;
export type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string>;

const DEFAULT_BATCH_SIZE = 1000;

export class ItemsExportService {
  constructor(
    private readonly repository: ItemsExportRepository,
    private readonly batchSize = DEFAULT_BATCH_SIZE,
  ) {}

  /**
   * Starts an export. The first batch is read before this resolves, so a database failure
   * becomes an error response instead of a truncated 200; the rest is read on demand.
   */
  async open(filter: ItemFilter, sort: ItemSort): Promise<AsyncIterable<ExportRecord>> {
    const batches = this.repository.batches(filter, sort, this.batchSize);
    const first = await batches.next();
    async function* records(): AsyncGenerator<ExportRecord> {
      try {
        if (first.done) return;
        yield* first.value.map(toRecord);
        for await (const batch of batches) yield* batch.map(toRecord);
      } finally {
        // The consumer stopped early (client gone): close the batch generator too.
        await batches.return(undefined);
      }
    }
    return records();
  }
}

function toRecord(item: ExportedItem): ExportRecord {
  return {
    id: String(item.id),
    name: item.name,
    description: item.description ?? '',
    price: item.price,
    tax: item.tax ?? '',
    tags: item.tags.join('|'),
    ownerId: String(item.ownerId),
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
  };
}
