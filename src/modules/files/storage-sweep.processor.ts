// Keeps the files table and the store from drifting apart. Writes put the bytes first and the
// row second; deletes remove the row first and the bytes second. A crash (or a failed delete)
// in between leaves bytes no row points at: this sweep deletes them once they are older than
// the grace period (an upload whose row is about to be inserted is younger). The other way, a
// row whose bytes are gone (a lost bucket, a restore from an older backup) cannot be repaired
// here: the row is marked (files.object_missing_at) and reported in the job's result and log.
import type { Logger } from '../../lib/logger.js';
import type { ObjectStat, Storage } from '../../infra/storage/storage.js';
import type { StorageSweepRepository } from './storage-sweep.repository.js';

export interface StorageSweepResult {
  orphansDeleted: number;
  missingMarked: number;
  /** The rows marked by this run (at most REPORTED_IDS of them), for whoever looks into it. */
  missingFileIds: string[];
}

export interface StorageSweepDeps {
  storage: Pick<Storage, 'list' | 'stat' | 'delete'>;
  repository: StorageSweepRepository;
  log: Logger;
  /** Objects and rows younger than this are left alone: their other half may be on its way. */
  graceMs: number;
  /** Keys looked up (and rows checked) per round trip. */
  batchSize?: number;
}

const REPORTED_IDS = 100;
// HEAD requests in flight at once while checking rows: enough to hide latency, not a flood.
const STAT_CONCURRENCY = 8;

export class StorageSweepProcessor {
  constructor(private readonly deps: StorageSweepDeps) {}

  async run(now = new Date()): Promise<StorageSweepResult> {
    const before = new Date(now.getTime() - this.deps.graceMs);
    const orphansDeleted = await this.deleteOrphans(before);
    const missing = await this.markMissing(before, now);
    const result = { orphansDeleted, missingMarked: missing.length, missingFileIds: missing.slice(0, REPORTED_IDS) };
    if (missing.length > 0) {
      this.deps.log.error(
        { missingMarked: missing.length, fileIds: result.missingFileIds },
        'file rows whose stored bytes are missing were marked',
      );
    }
    this.deps.log.info({ orphansDeleted, missingMarked: missing.length }, 'storage sweep done');
    return result;
  }

  private async deleteOrphans(before: Date): Promise<number> {
    const { storage, repository, batchSize = 500 } = this.deps;
    let deleted = 0;
    let batch: ObjectStat[] = [];
    const flush = async () => {
      const referenced = await repository.keysWithRows(batch.map((object) => object.key));
      for (const object of batch) {
        if (referenced.has(object.key)) continue;
        await storage.delete(object.key);
        deleted += 1;
      }
      batch = [];
    };
    for await (const object of storage.list({ olderThan: before })) {
      batch.push(object);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    return deleted;
  }

  private async markMissing(before: Date, now: Date): Promise<string[]> {
    const { storage, repository, batchSize = 500 } = this.deps;
    const missing: string[] = [];
    let afterId: string | undefined;
    for (;;) {
      const rows = await repository.rowsToCheck(before, afterId, batchSize);
      if (rows.length === 0) return missing;
      const gone: string[] = [];
      for (let i = 0; i < rows.length; i += STAT_CONCURRENCY) {
        const slice = rows.slice(i, i + STAT_CONCURRENCY);
        const stats = await Promise.all(slice.map((row) => storage.stat(row.storageKey)));
        slice.forEach((row, j) => stats[j] === null && gone.push(row.id));
      }
      if (gone.length > 0) await repository.markMissing(gone, now);
      missing.push(...gone);
      afterId = rows.at(-1)?.id;
    }
  }
}
