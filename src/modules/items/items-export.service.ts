// The items CSV export: the list's filters and sort, every matching row, as a byte stream that
// the repository has PostgreSQL render (columns and formats: items-export.repository.ts).
import type { Readable } from 'node:stream';
import type { ItemFilter, ItemSort } from './items.repository.js';
import { checkPriceRange } from './items.service.js';

export { EXPORT_COLUMNS } from './items-export.repository.js';

/** Where the CSV comes from: the repository, or anything else that streams the same columns. */
export interface ItemsCsvSource {
  open(filter: ItemFilter, sort: ItemSort): Promise<Readable>;
}

export class ItemsExportService {
  constructor(private readonly source: ItemsCsvSource) {}

  /**
   * Starts an export. Resolves once the first bytes exist, so a database failure becomes an
   * error response instead of a truncated 200; the rest is read as the client takes it.
   */
  async open(filter: ItemFilter, sort: ItemSort): Promise<Readable> {
    checkPriceRange(filter);
    return this.source.open(filter, sort);
  }
}
