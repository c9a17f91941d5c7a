// Starting a CSV import (api side): refuse what is not CSV up front, store the upload through
// the storage port as a file of the uploader, and queue the job. The job id derives from the
// stored file, so one upload can never be imported twice. Nothing is kept when any step fails.
import {
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../lib/errors.js';
import { peekHead } from '../../lib/stream-head.js';
import { StorageLimitExceededError, type Storage, type StoredObject } from '../../infra/storage/storage.js';
import { sanitizeFilename } from '../files/filenames.js';
import type { FilesRepository } from '../files/files.repository.js';
import type { JobEnqueuer } from '../../infra/queues/definitions.js';
import { headerProblem } from './csv-items.js';
import type { ImportJobData } from './items-import.processor.js';

export interface CsvUpload {
  filename: string | undefined;
  mimetype: string;
  stream: AsyncIterable<Uint8Array>;
}

export interface ItemsImportServiceDeps {
  storage: Storage;
  files: Pick<FilesRepository, 'createAll' | 'delete'>;
  queues: JobEnqueuer;
  maxUploadBytes: number;
}

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel']);
const HEAD_BYTES = 4096;

export function importJobId(fileId: string): string {
  return `import-${fileId}`;
}

export class ItemsImportService {
  constructor(private readonly deps: ItemsImportServiceDeps) {}

  async start(ownerId: number, upload: CsvUpload): Promise<{ jobId: string }> {
    // Before reading a byte: without the queue the upload could not be processed.
    if (!this.deps.queues.isAvailable())
      throw new ServiceUnavailableError('The job queue is unavailable, try again later');
    const declared = upload.mimetype.split(';')[0]!.trim().toLowerCase();
    if (!CSV_TYPES.has(declared) && !/\.csv$/i.test(upload.filename ?? '')) {
      throw new UnsupportedMediaTypeError('Upload a CSV file (text/csv)');
    }
    const peeked = await peekHead(upload.stream, HEAD_BYTES);
    const problem = this.contentProblem(peeked.head);
    if (problem) {
      peeked.discard();
      if (problem.binary) throw new UnsupportedMediaTypeError('The upload is not a CSV text file');
      throw new ValidationError([{ path: '/body/file', message: problem.message }], 'The CSV header is invalid');
    }

    const object = await this.store(peeked.stream);
    const [file] = await this.deps.files
      .createAll([
        {
          ownerId,
          filename: sanitizeFilename(upload.filename),
          contentType: 'text/csv',
          size: object.size,
          sha256: object.sha256,
          storageKey: object.key,
        },
      ])
      .catch(async (err: unknown) => {
        await this.deps.storage.delete(object.key);
        throw err;
      });
    const data: ImportJobData = { ownerId, fileId: file!.id, storageKey: object.key };
    try {
      return { jobId: await this.deps.queues.enqueue('imports', 'items-csv', data, { jobId: importJobId(file!.id) }) };
    } catch (err) {
      await this.deps.files.delete(file!.id);
      await this.deps.storage.delete(object.key);
      throw err;
    }
  }

  private async store(stream: AsyncIterable<Uint8Array>): Promise<StoredObject> {
    try {
      return await this.deps.storage.put(stream, { maxBytes: this.deps.maxUploadBytes });
    } catch (err) {
      if (err instanceof StorageLimitExceededError)
        throw new PayloadTooLargeError(`The CSV is larger than ${err.limit} bytes`);
      throw err;
    }
  }

  /** Looks at the first bytes: binary content, an empty file or an unusable header. */
  private contentProblem(head: Buffer): { binary: boolean; message: string } | undefined {
    if (head.includes(0)) return { binary: true, message: 'binary content' };
    const text = head.toString('utf8').replace(/^\uFEFF/, '');
    const newline = text.search(/\r?\n/);
    if (text.trim() === '') return { binary: false, message: 'the file is empty; a header row is required' };
    // A header longer than the peeked bytes is left to the job, which checks it again.
    if (newline === -1 && head.length >= HEAD_BYTES) return undefined;
    const headerLine = newline === -1 ? text : text.slice(0, newline);
    const columns = headerLine.split(',').map((column) => column.trim().replace(/^"|"$/g, '').toLowerCase());
    const problem = headerProblem(columns);
    return problem ? { binary: false, message: problem } : undefined;
  }
}
