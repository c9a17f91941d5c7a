// s3rver ships no types; the part of its API the tests use.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  interface S3rverOptions {
    silent?: boolean;
    directory?: string;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    configureBuckets(): Promise<void>;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}

declare module 's3rver/lib/stores/filesystem.js' {
  export default class FilesystemStore {
    getObject(bucket: string, key: string, options?: { start?: number; end?: unknown }): Promise<unknown>;
  }
}
