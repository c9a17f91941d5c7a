// Fast path, the streamed export (why: items-export.repository.ts). The list's filters and
// sort, every matching row, as a byte stream that the repository has PostgreSQL render
// (columns and formats: items-export.repository.ts).
// Exports are anonymous and each holds a database connection while its client reads, so they
// are bounded (items-export-guard.ts): a few at once per process, and none may stall.
import { pipeline, type Readable } from 'node:stream';
import { ServiceUnavailableError } from '../../../lib/errors.js';
import { ExportSlots, StallGuard } from './items-export-guard.js';
import type { ItemFilter, ItemSort } from '../items.schemas.js';
import { checkPriceRange } from '../items.service.js';

export { EXPORT_COLUMNS } from './items-export.repository.js';

/** Where the CSV comes from: the repository, or anything else that streams the same columns. */
export interface ItemsCsvSource {
  open(filter: ItemFilter, sort: ItemSort): Promise<Readable>;
}

export interface ItemsExportLimits {
  /** Exports streaming at once (the export pool's size); one more is refused with 503. */
  maxConcurrent: number;
  /** How long the client may read nothing before the export is cut. */
  stallTimeoutMs: number;
  /** Retry-After of the 503, in seconds. */
  retryAfterSeconds: number;
}

const DEFAULT_LIMITS: ItemsExportLimits = { maxConcurrent: 2, stallTimeoutMs: 30_000, retryAfterSeconds: 5 };

export class ItemsExportService {
  private readonly limits: ItemsExportLimits;
  private readonly slots: ExportSlots;

  constructor(
    private readonly source: ItemsCsvSource,
    limits: Partial<ItemsExportLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.slots = new ExportSlots(this.limits.maxConcurrent);
  }

  /** Exports streaming right now on this process. */
  get running(): number {
    return this.slots.inUse;
  }

  /**
   * Starts an export. Resolves once the first bytes exist, so a database failure becomes an
   * error response instead of a truncated 200; the rest is read as the client takes it. The
   * slot is given back when the stream closes, however it ends (done, client gone, stalled).
   */
  async open(filter: ItemFilter, sort: ItemSort): Promise<Readable> {
    checkPriceRange(filter);
    const release = this.slots.tryAcquire();
    if (!release) {
      throw new ServiceUnavailableError(
        `Too many CSV exports are running (${this.limits.maxConcurrent} at once): retry in a few seconds`,
        this.limits.retryAfterSeconds,
      );
    }
    let csv: Readable;
    try {
      csv = await this.source.open(filter, sort);
    } catch (err) {
      release();
      throw err;
    }
    const guarded = new StallGuard(this.limits.stallTimeoutMs);
    guarded.once('close', release);
    // Either side ending early ends the other: a stalled or departed client destroys the source
    // (the repository then drops its connection, which cancels the COPY).
    pipeline(csv, guarded, () => {});
    return guarded;
  }
}
