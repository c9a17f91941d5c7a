// Runs a `reports` job: the per-tag summary of items (count, average price) written as CSV
// through the storage port and recorded as a file owned by whoever asked, so they download it
// like any of their files. A retried, re-run or concurrently run job ends with one file:
// - the file id derives from the job id (UUID v5), and the row is created only if absent, so a
//   run that crashed after creating the row finds it instead of writing a second file;
// - the stored bytes are recorded in the job's data before the row is created, so a run that
//   crashed in between uses them instead of leaving them unreferenced;
// - the file id is saved in the job's data at the end, and a re-run returns it at once.
// Storage generates keys, so a crash between storing the bytes and recording them (one Redis
// write) still leaves them unreferenced; nothing short of a caller-chosen key closes that.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { UnrecoverableError } from 'bullmq';
import { stringify } from 'csv-stringify';
import { neutralizeCell } from '../../lib/csv-cells.js';
import type { Storage, StoredObject } from '../../infra/storage/storage.js';
import type { FilesRepository } from '../files/files.repository.js';
import type { OwnedJobData } from '../../infra/queues/definitions.js';
import type { ReportsRepository } from './reports.repository.js';

export interface ReportJobData extends OwnedJobData {
  ownerId: number;
  /** Set once the report file exists. */
  fileId?: string;
  /** The report's bytes once stored, until their file row exists. */
  stored?: StoredObject;
}

export interface ReportJob {
  id?: string;
  data: ReportJobData;
  updateData(data: ReportJobData): Promise<void>;
  updateProgress(progress: number): Promise<void>;
}

export interface ItemsReportDeps {
  storage: Storage;
  files: Pick<FilesRepository, 'findById' | 'createIfAbsent'>;
  reports: Pick<ReportsRepository, 'itemsPerTag'>;
  now?: () => Date;
}

/** Namespace of report file ids; any fixed UUID would do, it only has to never change. */
const REPORT_FILE_NAMESPACE = Buffer.from('8b23801c9d994ba19e9c807968694ec9', 'hex');

/** The file id of a report job: a name-based UUID (RFC 9562 version 5) of the job id. */
export function reportFileId(jobId: string): string {
  const bytes = createHash('sha1').update(REPORT_FILE_NAMESPACE).update(jobId, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class ItemsReportProcessor {
  constructor(private readonly deps: ItemsReportDeps) {}

  async process(job: ReportJob): Promise<{ fileId: string }> {
    if (job.data.fileId) return { fileId: job.data.fileId };
    if (!job.id) throw new UnrecoverableError('A report job needs an id');
    const { storage, files, now = () => new Date() } = this.deps;
    const fileId = reportFileId(job.id);
    if (await files.findById(fileId)) return this.finish(job, fileId);

    const object = (await this.storedBefore(job)) ?? (await this.write(job));
    // On failure the bytes stay: the job's data names them and the next attempt uses them.
    const file = await files.createIfAbsent({
      id: fileId,
      ownerId: job.data.ownerId,
      filename: `items-by-tag-${now().toISOString().slice(0, 10)}.csv`,
      contentType: 'text/csv',
      size: object.size,
      sha256: object.sha256,
      storageKey: object.key,
    });
    // Another run of this job (a stalled job picked up again) created the row with its own bytes.
    if (file.storageKey !== object.key) await storage.delete(object.key);
    return this.finish(job, file.id);
  }

  /** Bytes an earlier attempt stored and recorded, if they are still there. */
  private async storedBefore(job: ReportJob): Promise<StoredObject | undefined> {
    const { stored } = job.data;
    if (!stored) return undefined;
    const stat = await this.deps.storage.stat(stored.key);
    return stat?.size === stored.size ? stored : undefined;
  }

  private async write(job: ReportJob): Promise<StoredObject> {
    const { storage, reports } = this.deps;
    const summary = await reports.itemsPerTag();
    await job.updateProgress(50);
    // Tags are text a user chose (`-x` is a valid tag): neutralized against formula injection.
    const rows = summary.map((row) => ({ ...row, tag: neutralizeCell(row.tag) }));
    const csv = Readable.from(rows).pipe(
      stringify({
        header: true,
        columns: [
          { key: 'tag', header: 'tag' },
          { key: 'count', header: 'count' },
          { key: 'averagePrice', header: 'average_price' },
        ],
      }),
    );
    const object = await storage.put(csv);
    try {
      await job.updateData({ ...job.data, stored: object });
    } catch (err) {
      // Not recorded, so no later attempt would find these bytes.
      await storage.delete(object.key);
      throw err;
    }
    return object;
  }

  private async finish(job: ReportJob, fileId: string): Promise<{ fileId: string }> {
    const { stored: _stored, ...data } = job.data;
    await job.updateData({ ...data, fileId });
    await job.updateProgress(100);
    return { fileId };
  }
}
