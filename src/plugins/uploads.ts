// Multipart uploads, set up one way for every route plugin that takes files. Registered in the
// calling plugin's scope only, so no other route accepts multipart bodies. Parts are streams
// (never buffered), and the size limit is storage's to enforce: the parser lets one byte over
// the limit through so storage can tell "too large" from "exactly the limit", then stops
// reading, and storage raises the 413 (and cleans up what it wrote).
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';

export interface UploadLimits {
  maxUploadBytes: number;
  /** Most `file` parts in one request. */
  maxFiles: number;
  /** Most plain form fields next to them. */
  maxFields: number;
}

export async function acceptUploads(
  app: FastifyInstance,
  { maxUploadBytes, maxFiles, maxFields }: UploadLimits,
): Promise<void> {
  await app.register(multipart, {
    limits: {
      fileSize: maxUploadBytes + 1,
      files: maxFiles,
      fields: maxFields,
      fieldSize: 1024,
      parts: maxFiles + maxFields,
      headerPairs: 100,
    },
    throwFileSizeLimit: false,
  });
}
