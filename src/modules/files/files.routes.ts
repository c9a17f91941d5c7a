// HTTP surface of files: multipart uploads streamed to storage, metadata reads, and downloads
// with ETag/304, single byte ranges (206/416) and an attachment Content-Disposition.
// Multipart is accepted by this plugin's routes only (plugins/uploads.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ifNoneMatchHits } from '../../infra/redis/entity-cache.js';
import { AppError, UnsupportedMediaTypeError } from '../../lib/errors.js';
import { acceptUploads } from '../../plugins/uploads.js';
import { attachmentDisposition, ifRangeAllows, resolveRange, sendNotModified } from '../../lib/http-download.js';
import { authenticated, emptyResponse, headers, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import type { FilesService, UploadPart } from './files.service.js';
import { FileList, FileOut, FilePage, FileParams, ListFilesQuery, UploadForm } from './files.schemas.js';

export interface FilesRoutesOptions {
  files: FilesService;
  /** MAX_UPLOAD_BYTES: storage enforces it exactly; the parser stops one byte later. */
  maxUploadBytes: number;
  /** Most `file` parts in one request. */
  maxFilesPerRequest?: number;
}

const tags = ['files'];
/** What every answer of the download carries (200, 206 and 304). */
const validators = headers(responseHeaders.etag, responseHeaders.cacheControl, responseHeaders.acceptRanges);
const bytesHeaders = headers(validators, responseHeaders.contentDisposition, responseHeaders.contentLength);
/** The bytes of a download, documented under each type a file can be stored with. */
const binary = (types: string[]) =>
  Object.fromEntries(types.map((type) => [type, { schema: Type.String({ format: 'binary' }) }]));

/** Multipart parts as the service wants them; plain text fields are not files and are skipped. */
async function* fileParts(request: FastifyRequest): AsyncGenerator<UploadPart> {
  for await (const part of request.parts()) {
    if (part.type !== 'file') continue;
    yield { fieldname: part.fieldname, filename: part.filename, mimetype: part.mimetype, stream: part.file };
  }
}

export const filesRoutes: FastifyPluginAsyncTypebox<FilesRoutesOptions> = async (
  app,
  { files, maxUploadBytes, maxFilesPerRequest = 20 },
) => {
  await acceptUploads(app, { maxUploadBytes, maxFiles: maxFilesPerRequest, maxFields: 10 });

  // Stored types: what uploads accept, and the CSV that imports and reports store.
  const downloadTypes = [...new Set([...app.config.allowedUploadTypes, 'text/csv'])];

  app.post(
    '/',
    {
      onRequest: [app.authenticate],
      // The body is a stream of parts, validated part by part by the service; this schema is
      // for the OpenAPI document only, so the route's body validator accepts anything.
      validatorCompiler: () => () => true,
      schema: {
        tags,
        operationId: 'uploadFiles',
        summary: 'Upload files',
        description:
          'multipart/form-data with one or more `file` parts. Each part is streamed to storage (never held in memory) ' +
          'while its size and SHA-256 are computed. A part over MAX_UPLOAD_BYTES is 413, a type outside ALLOWED_UPLOAD_TYPES ' +
          'or content whose magic bytes contradict its declared type is 415, no file part is 422; in every failure case ' +
          'nothing of the request is kept.',
        security: authenticated,
        consumes: ['multipart/form-data'],
        body: UploadForm(maxFilesPerRequest),
        response: {
          201: jsonResponse('The stored files, in the order of their parts', FileList(maxFilesPerRequest)),
          ...problems(401, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      // A JSON or form body passes the content-type parsers of the app; files come only as multipart.
      if (!request.isMultipart()) throw new UnsupportedMediaTypeError('Send files as multipart/form-data');
      const created = await files.upload(request.user, fileParts(request));
      // Several files, so no Location: the audit log records each id.
      request.auditEntityIds = created.map((file) => file.id);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'listFiles',
        summary: 'List files',
        description: 'Your own files, newest first; an ADMIN sees everybody’s.',
        security: authenticated,
        querystring: ListFilesQuery,
        response: { 200: jsonResponse('One page of files, with the total count', FilePage), ...problems(401, 422) },
      },
    },
    async (request) => files.list(request.user, request.query),
  );

  app.get(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'getFile',
        summary: 'Read file metadata',
        security: authenticated,
        params: FileParams,
        response: { 200: jsonResponse('The file’s metadata', FileOut), ...problems(401, 404, 422) },
      },
    },
    async (request) => files.get(request.user, request.params.id),
  );

  // GET and HEAD in one route: the HEAD Fastify would add runs the handler and reads the whole
  // file to throw it away; this one answers from the metadata without opening the bytes.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/:id/content',
    onRequest: [app.authenticate],
    // Compressing would change the bytes that ranges and Content-Length refer to.
    compress: false,
    schema: {
      tags,
      operationId: 'downloadFile',
      summary: 'Download a file',
      description:
        'Streams the bytes as an attachment, with the `Content-Type` the file was stored with (its `contentType`: one of ' +
        'ALLOWED_UPLOAD_TYPES, or text/csv for imports and reports). The strong `ETag` is the SHA-256 of the content: `If-None-Match` answers 304. ' +
        'One byte range (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) answers 206 with `Content-Range`; a range ' +
        'beyond the end is 416; several ranges, or an `If-Range` that no longer matches, get the whole file (200). ' +
        'With FILE_DOWNLOAD=redirect (S3 storage) the answer is instead 302 to a presigned URL of the store, valid for ' +
        'five minutes, after the same authorization; the store then serves the bytes, ranges included.',
      security: authenticated,
      params: FileParams,
      response: {
        200: { description: 'The whole file', headers: bytesHeaders, content: binary(downloadTypes) },
        206: {
          description: 'The requested byte range',
          headers: headers(bytesHeaders, responseHeaders.contentRange),
          content: binary(downloadTypes),
        },
        302: emptyResponse(
          'FILE_DOWNLOAD=redirect: fetch the bytes from `Location`, a presigned URL of the store valid for a few minutes',
          headers(responseHeaders.location, validators),
        ),
        304: emptyResponse('Not modified: your copy (`If-None-Match`) is current; no body', validators),
        ...problems(401, 404, 422),
        416: { ...problems(416)[416], headers: responseHeaders.contentRange },
      },
    },
    handler: async (request, reply) => {
      const { file, open, signedUrl } = await files.download(request.user, request.params.id);
      const etag = `"${file.sha256}"`;
      reply
        .header('etag', etag)
        .header('last-modified', file.createdAt.toUTCString())
        .header('cache-control', 'private, no-cache')
        .header('accept-ranges', 'bytes');
      if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return sendNotModified(reply);
      if (signedUrl) {
        // The URL is a bearer credential for these bytes: never cached, never logged by us.
        const location = await signedUrl(attachmentDisposition(file.filename));
        return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
      }

      const ifRange = request.headers['if-range'];
      const wanted = ifRangeAllows(typeof ifRange === 'string' ? ifRange : undefined, etag)
        ? resolveRange(request.headers.range, file.size)
        : { kind: 'full' as const };
      if (wanted.kind === 'unsatisfiable') {
        throw new AppError(416, 'range-not-satisfiable', 'Range Not Satisfiable', {
          detail: `The file has ${file.size} bytes`,
          headers: { 'content-range': `bytes */${file.size}` },
        });
      }
      const range = wanted.kind === 'partial' ? wanted.range : undefined;
      // Opened before the body headers are set, so a failure still answers a clean problem.
      const content = request.method === 'HEAD' ? undefined : await open(range);
      reply
        .type(file.contentType)
        .header('content-disposition', attachmentDisposition(file.filename))
        .header('content-length', String(range ? range.end - range.start + 1 : file.size));
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
      // The documented 200/206 body is binary (a string schema); a stream is what Fastify sends.
      return reply.send(content as never);
    },
  });

  app.delete(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'deleteFile',
        summary: 'Delete a file',
        description: 'Removes the metadata row, then the bytes.',
        security: authenticated,
        params: FileParams,
        response: { 204: emptyResponse('Deleted'), ...problems(401, 404, 422) },
      },
    },
    async (request, reply) => {
      await files.delete(request.user, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
