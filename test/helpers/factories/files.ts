// Uploads for tests, through POST /api/v1/files as multipart/form-data.
import { expect } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { FileInfo as FileMetadata } from '../../../src/modules/files/files.schemas.js';
import type { Json } from './json.js';
import { multipart, type FormPart } from '../../modules/files/multipart.js';

/** File metadata as the API answers it (its date as a JSON string). */
export type FileInfo = Json<FileMetadata>;

/** A small plain-text `file` part; overrides win. */
export function filePart(overrides: Partial<FormPart> = {}): FormPart {
  return { name: 'file', filename: 'hello.txt', contentType: 'text/plain', content: 'hello world', ...overrides };
}

/** Sends the parts as `owner` (anonymously without one) and returns the response, whatever it is. */
export function postFiles(app: App, owner: { headers: Record<string, string> } | undefined, parts: FormPart[]) {
  const { payload, headers } = multipart(parts);
  return app.inject({ method: 'POST', url: '/api/v1/files', headers: { ...headers, ...owner?.headers }, payload });
}

/** Uploads the parts (one small text file by default), expects 201 and returns the stored files. */
export async function uploadFiles(
  app: App,
  owner: { headers: Record<string, string> },
  parts: FormPart[] = [filePart()],
): Promise<FileInfo[]> {
  const response = await postFiles(app, owner, parts);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<FileInfo[]>();
}

/** Uploads one file (see filePart for the defaults) and returns it. */
export async function uploadFile(
  app: App,
  owner: { headers: Record<string, string> },
  part: Partial<FormPart> = {},
): Promise<FileInfo> {
  const [file] = await uploadFiles(app, owner, [filePart(part)]);
  return file!;
}
