// The byte counter both adapters put in front of the store: it hashes what streams through and
// fails the stream one byte past the limit, so the store never receives more than the limit
// and the adapter can undo the write (remove the temporary file, abort the multipart upload).
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StorageLimitExceededError } from './storage.js';

/** Passes bytes through while counting and hashing them; fails once the limit is passed. */
export class HashingMeter extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      callback(new StorageLimitExceededError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
