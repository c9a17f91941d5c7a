// Runs an `imports` job: streams the stored CSV through csv-parse (never the whole file in
// memory), validates each row with the API's rules, inserts valid rows in batches and reports
// invalid ones as { line, message } (the header is line 1). Progress is the share of the file's
// bytes read so far.
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnrecoverableError } from 'bullmq';
import { parse } from 'csv-parse';
import { StorageNotFoundError, type Storage } from '../../lib/storage/storage.js';
import type { OwnedJobData } from '../jobs/queues.js';
import { headerProblem, itemFromRow } from './csv-items.js';
import type { ImportedRow, ItemsImportRepository } from './items-import.repository.js';

export interface ImportJobData extends OwnedJobData {
  ownerId: number;
  fileId: string;
  storageKey: string;
}

export interface RowError {
  line: number;
  message: string;
}

export interface ImportResult {
  inserted: number;
  failed: number;
  errors: RowError[];
  /** Invalid rows beyond the reported ones. */
  errorsOmitted: number;
}

/** The slice of a BullMQ job the processor uses. */
export interface ImportJob {
  id?: string;
  data: ImportJobData;
  updateProgress(progress: number): Promise<void>;
}

export interface ItemsImportOptions {
  storage: Storage;
  repository: ItemsImportRepository;
  batchSize?: number;
  /** Most row errors kept in the result; the rest are only counted. */
  maxReportedErrors?: number;
}

class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

export class ItemsImportProcessor {
  constructor(private readonly options: ItemsImportOptions) {}

  async process(job: ImportJob): Promise<ImportResult> {
    const { storage, repository, batchSize = 500, maxReportedErrors = 100 } = this.options;
    const { ownerId, storageKey } = job.data;
    const jobId = String(job.id);
    const size = (await storage.stat(storageKey))?.size;
    let source;
    try {
      source = await storage.get(storageKey);
    } catch (err) {
      // The upload is gone (deleted by its owner): retrying cannot help.
      if (err instanceof StorageNotFoundError) throw new UnrecoverableError('The uploaded CSV no longer exists');
      throw err;
    }

    const counter = new ByteCounter();
    let headerError: string | undefined;
    const parser = parse({
      bom: true,
      columns: (header: string[]) => {
        const columns = header.map((column) => column.trim().toLowerCase());
        headerError = headerProblem(columns);
        if (headerError) throw new Error(headerError);
        return columns;
      },
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    });

    const errors: RowError[] = [];
    let failed = 0;
    let batch: ImportedRow[] = [];
    let lastProgress = -1;
    const flush = async () => {
      if (batch.length === 0) return;
      await repository.insertBatch(ownerId, jobId, batch);
      batch = [];
      const progress = size ? Math.min(99, Math.floor((counter.bytes / size) * 100)) : 0;
      if (progress !== lastProgress) {
        lastProgress = progress;
        await job.updateProgress(progress);
      }
    };

    const rows = async (records: AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) => {
      for await (const { record, info } of records) {
        const result = itemFromRow(record);
        if (result.ok) {
          batch.push({ line: info.lines, item: result.item });
          if (batch.length >= batchSize) await flush();
        } else {
          failed += 1;
          if (errors.length < maxReportedErrors) errors.push({ line: info.lines, message: result.message });
        }
      }
      await flush();
    };

    try {
      await pipeline(source, counter, parser, rows);
    } catch (err) {
      if (headerError) throw new UnrecoverableError(`Invalid CSV: ${headerError}`);
      // Malformed CSV (an unclosed quote...) fails the same way on every attempt.
      if ((err as { code?: string }).code?.startsWith('CSV_')) throw new UnrecoverableError(`Invalid CSV: ${(err as Error).message}`);
      throw err;
    }
    await job.updateProgress(100);
    return { inserted: await repository.countImported(jobId), failed, errors, errorsOmitted: failed - errors.length };
  }
}
