// The composition seam of storage: the api and the worker both open the store here, from
// STORAGE_DRIVER. `local` needs both processes on one host (or a ReadWriteMany volume); `s3`
// needs nothing shared but the bucket, so any number of api and worker instances can run.
import type { Config } from '../../config.js';
import { LocalDiskStorage } from './local-disk-storage.js';
import { createS3Client, S3Storage } from './s3-storage.js';
import type { Storage } from './storage.js';

export function openStorage(config: Pick<Config, 'storageDriver' | 's3' | 'uploadDir' | 'maxUploadBytes'>): Storage {
  if (config.storageDriver === 's3' && config.s3) {
    const { bucket, ...settings } = config.s3;
    return new S3Storage({ client: createS3Client(settings), bucket, maxBytes: config.maxUploadBytes });
  }
  return new LocalDiskStorage({ root: config.uploadDir, maxBytes: config.maxUploadBytes });
}
