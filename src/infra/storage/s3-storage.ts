// S3 adapter of the storage port, for AWS S3 and S3-compatible stores (MinIO, Ceph RGW, R2,
// GCS XML API). Objects live at `<key>` in one bucket the app owns. Uploads stream through
// the same HashingMeter as on local disk into a multipart upload (@aws-sdk/lib-storage): at
// most queueSize x partSize bytes are buffered, whatever the file size. A failure mid-stream
// (limit, client gone, abort) errors the body, which makes lib-storage send
// AbortMultipartUpload before put() rejects, so no parts are left to bill. Parts of a process
// killed mid-upload are left to the bucket's AbortIncompleteMultipartUpload lifecycle rule.
import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { HashingMeter } from './hashing-meter.js';
import {
  KEY_PATTERN,
  StorageNotFoundError,
  type ByteRange,
  type ObjectStat,
  type PutOptions,
  type SignedDownloadOptions,
  type Storage,
  type StoredObject,
} from './storage.js';

export interface S3ClientSettings {
  /** Unset for AWS; the store's URL otherwise (http://minio:9000). */
  endpoint?: string;
  region: string;
  /** Unset: the SDK's default chain (environment, web identity, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** bucket in the path (MinIO, s3rver) instead of the host name (AWS's default). */
  forcePathStyle: boolean;
}

export function createS3Client(settings: S3ClientSettings): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = settings;
  return new S3Client({
    endpoint,
    region,
    forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    // The SDK's default adds CRC32 checksums to every request, which several S3-compatible
    // stores reject; the bytes are already SHA-256 hashed here, and TLS protects the transfer.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** Default limit for `put` when the call gives none. */
  maxBytes?: number;
  /** Bytes per multipart part (5 MiB is S3's minimum) and parts in flight at once. */
  partSize?: number;
  queueSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

export class S3Storage implements Storage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly defaultMaxBytes: number | undefined;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3StorageOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.defaultMaxBytes = options.maxBytes;
    this.partSize = Math.max(options.partSize ?? MIN_PART_SIZE, MIN_PART_SIZE);
    this.queueSize = options.queueSize ?? 2;
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<StoredObject> {
    const key = randomUUID();
    const meter = new HashingMeter(options.maxBytes ?? this.defaultMaxBytes);
    const body = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    // pipeline destroys `body` with the error when the source fails, the limit is passed or the
    // signal fires; lib-storage then aborts the multipart upload and done() rejects. Upload's
    // own abort() is not used: its done() rejects before the AbortMultipartUpload is sent.
    const [piped, uploaded] = await Promise.allSettled([
      pipeline(source, meter, body, { signal: options.signal }),
      // The store failing (bucket gone, access denied) stops lib-storage reading: destroying the
      // body ends the pipeline, which would otherwise wait on backpressure for ever.
      upload.done().catch((error: unknown) => {
        body.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }),
    ]);
    if (piped.status === 'rejected' || uploaded.status === 'rejected') {
      // An object that completed anyway (the failure came after the last byte) must not stay.
      if (uploaded.status === 'fulfilled') await this.delete(key);
      // The store's own error first when it failed (the pipeline then only saw the destroyed body).
      throw uploaded.status === 'rejected' ? uploaded.reason : (piped as PromiseRejectedResult).reason;
    }
    return { key, size: meter.size, sha256: meter.digest() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: checked(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      // In Node the body is an http.IncomingMessage (a Readable); destroying it frees the socket.
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new StorageNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: checked(key) }));
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key too: deleting twice is not an error, as the port wants.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checked(key) }));
  }

  async *list({ olderThan }: { olderThan: Date }): AsyncIterable<ObjectStat> {
    // 1000 keys per page: memory stays at one page whatever the bucket holds.
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const modifiedAt = object.LastModified ?? new Date(0);
        if (KEY_PATTERN.test(key) && modifiedAt < olderThan) yield { key, size: object.Size ?? 0, modifiedAt };
      }
    }
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async signedDownloadUrl(key: string, options: SignedDownloadOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: checked(key),
      ResponseContentDisposition: options.contentDisposition,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
  }
}

/** Keys are UUIDs this adapter made; anything else never reaches the store. */
function checked(key: string): string {
  if (!KEY_PATTERN.test(key)) throw new StorageNotFoundError(key);
  return key;
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
