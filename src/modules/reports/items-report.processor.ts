// Runs a `reports` job: the per-tag summary of items (count, average price) written as CSV
// through the storage port and recorded as a file owned by whoever asked, so they download it
// like any of their files. The file id is saved in the job's data before returning: a retried
// or re-run job hands back the same file instead of writing a second one.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Storage } from '../../lib/storage/storage.js';
import type { FilesRepository } from '../files/files.repository.js';
import type { OwnedJobData } from '../jobs/queues.js';
import type { ReportsRepository } from './reports.repository.js';

export interface ReportJobData extends OwnedJobData {
  ownerId: number;
  /** Set once the report file exists. */
  fileId?: string;
}

export interface ReportJob {
  id?: string;
  data: ReportJobData;
  updateData(data: ReportJobData): Promise<void>;
  updateProgress(progress: number): Promise<void>;
}

export interface ItemsReportOptions {
  storage: Storage;
  files: Pick<FilesRepository, 'createAll'>;
  reports: Pick<ReportsRepository, 'itemsPerTag'>;
  now?: () => Date;
}

export class ItemsReportProcessor {
  constructor(private readonly options: ItemsReportOptions) {}

  async process(job: ReportJob): Promise<{ fileId: string }> {
    if (job.data.fileId) return { fileId: job.data.fileId };
    const { storage, files, reports, now = () => new Date() } = this.options;
    const summary = await reports.itemsPerTag();
    await job.updateProgress(50);
    const csv = Readable.from(summary).pipe(
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
    const filename = `items-by-tag-${now().toISOString().slice(0, 10)}.csv`;
    let file;
    try {
      [file] = await files.createAll([{ ownerId: job.data.ownerId, filename, contentType: 'text/csv', size: object.size, sha256: object.sha256, storageKey: object.key }]);
    } catch (err) {
      await storage.delete(object.key);
      throw err;
    }
    await job.updateData({ ...job.data, fileId: file!.id });
    await job.updateProgress(100);
    return { fileId: file!.id };
  }
}
