// Runs an `imports` job: streams the stored CSV through csv-parse (never the whole file in
// memory), validates each row with the API's rules, inserts valid rows in batches and reports
// invalid ones as { line, message } (the line the record starts on; the header is line 1).
// Progress is the share of the file's bytes read so far.
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnrecoverableError } from 'bullmq';
import { parse } from 'csv-parse';
import { StorageNotFoundError, type Storage } from '../../infra/storage/storage.js';
import type { OwnedJobData } from '../../infra/queues/definitions.js';
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

export interface ItemsImportDeps {
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

const LINE_BREAK = /\r\n|\r|\n/g;

/** Lines a record covers: one, plus the line breaks inside its (quoted) fields. */
function linesSpanned(fields: readonly string[]): number {
  let lines = 1;
  for (const field of fields) lines += field.match(LINE_BREAK)?.length ?? 0;
  return lines;
}

export class ItemsImportProcessor {
  constructor(private readonly deps: ItemsImportDeps) {}

  async process(job: ImportJob): Promise<ImportResult> {
    const { storage, repository, batchSize = 500, maxReportedErrors = 100 } = this.deps;
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
    // Records as arrays: the header is read below like any record, so its lines are counted too.
    const parser = parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true });

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

    const rows = async (records: AsyncIterable<{ record: string[]; info: { empty_lines: number } }>) => {
      let columns: string[] | undefined;
      // Physical lines taken by the header and the records so far. csv-parse's own `info.lines`
      // is where a record ends (and it counts a CRLF inside quotes twice), so the line a record
      // starts on is computed here: after every earlier record and every empty line skipped.
      let linesRead = 0;
      for await (const { record: fields, info } of records) {
        const line = linesRead + info.empty_lines + 1;
        linesRead += linesSpanned(fields);
        if (!columns) {
          columns = fields.map((column) => column.trim().toLowerCase());
          headerError = headerProblem(columns);
          if (headerError) throw new Error(headerError);
          continue;
        }
        const header: readonly string[] = columns;
        const result = itemFromRow(Object.fromEntries(header.map((column, index) => [column, fields[index]])));
        if (result.ok) {
          batch.push({ line, item: result.item });
          if (batch.length >= batchSize) await flush();
        } else {
          failed += 1;
          if (errors.length < maxReportedErrors) errors.push({ line, message: result.message });
        }
      }
      await flush();
    };

    try {
      await pipeline(source, counter, parser, rows);
    } catch (err) {
      if (headerError) throw new UnrecoverableError(`Invalid CSV: ${headerError}`);
      // Malformed CSV (an unclosed quote...) fails the same way on every attempt.
      if ((err as { code?: string }).code?.startsWith('CSV_'))
        throw new UnrecoverableError(`Invalid CSV: ${(err as Error).message}`);
      throw err;
    }
    await job.updateProgress(100);
    return { inserted: await repository.countImported(jobId), failed, errors, errorsOmitted: failed - errors.length };
  }
}
