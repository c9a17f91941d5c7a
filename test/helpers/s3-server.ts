// A real S3-protocol server for tests (s3rver, offline, on a random port), so the S3 adapter
// is tested over HTTP with the real SDK, not against a mock. s3rver answers
// AbortMultipartUpload with 405, so this server implements that one call the way S3 does
// (the upload and its parts are gone) and counts it; the tests read s3rver's data directory
// to prove an aborted upload left no parts behind. s3rver does not check V4 signatures, so
// presigned URLs are tested for their shape here, not for refusal when tampered with.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

// s3rver reads a range's end as `end || Infinity`, so `bytes=0-0` answers the whole object
// where S3 answers one byte. A truthy value that is 0 in arithmetic makes it behave as S3 does.
const getObject = FilesystemStore.prototype.getObject;
FilesystemStore.prototype.getObject = function (bucket, key, options) {
  const fixed = options?.end === 0 ? { ...options, end: { valueOf: () => 0 } } : options;
  return getObject.call(this, bucket, key, fixed);
};

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** s3rver's data directory: `<bucket>/._S3rver_uploads/<uploadId>` holds unfinished uploads. */
  directory: string;
  /** Settings for createS3Client (s3rver accepts the fixed S3RVER keys). */
  settings: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: true };
  /** Multipart uploads started and not completed or aborted (their parts sit on s3rver's disk). */
  pendingUploads(): Promise<string[]>;
  /** Upload ids AbortMultipartUpload was called for. */
  aborted: string[];
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'test-bucket'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  // Every other bucket a test names is created on first use (see ./storage.ts).
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: [{ name: bucket }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  const aborted: string[] = [];

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://s3');
    const uploadId = url.searchParams.get('uploadId');
    if (request.method === 'DELETE' && uploadId) {
      aborted.push(uploadId);
      // s3rver names upload ids in hex; anything else cannot name a directory outside.
      const safe = /^[0-9a-f]+$/.test(uploadId);
      request.resume();
      void (safe ? rm(join(uploadsDir, uploadId), { recursive: true, force: true }) : Promise.resolve()).then(() =>
        response.writeHead(204).end(),
      );
      return;
    }
    handle(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    directory,
    settings: { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true },
    pendingUploads: () => readdir(uploadsDir).catch(() => []),
    aborted,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(directory, { recursive: true, force: true });
    },
  };
}
