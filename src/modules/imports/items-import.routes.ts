// POST /api/v1/items/import: a multipart CSV upload that becomes an `imports` job. Multipart is
// accepted by this plugin's routes only (plugins/uploads.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { UnsupportedMediaTypeError, ValidationError } from '../../lib/errors.js';
import { acceptUploads } from '../../plugins/uploads.js';
import { authenticated, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import { JobAccepted } from '../jobs/jobs.schemas.js';
import type { ItemsImportService } from './items-import.service.js';

export interface ItemsImportRoutesOptions {
  imports: ItemsImportService;
  maxUploadBytes: number;
}

const ImportForm = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      description:
        'CSV with the header name,description,price,tax,tags (tags separated by |); the extra columns of an export are ignored',
    }),
  },
  { title: 'ItemsImportForm' },
);

export const itemsImportRoutes: FastifyPluginAsyncTypebox<ItemsImportRoutesOptions> = async (
  app,
  { imports, maxUploadBytes },
) => {
  await acceptUploads(app, { maxUploadBytes, maxFiles: 1, maxFields: 5 });

  app.post(
    '/import',
    {
      onRequest: [app.authenticate],
      // The body is a stream checked by the service; this schema documents the form only.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['items'],
        operationId: 'importItems',
        summary: 'Import items from a CSV file',
        description:
          'multipart/form-data with one `file` part (CSV). The file is stored and imported by a background job: ' +
          '202 with `{ jobId }` and a Location to follow at `/api/v1/jobs/{jobId}`. The job result is ' +
          '`{ inserted, failed, errors: [{ line, message }], errorsOmitted }` (the header is line 1). ' +
          'A non-CSV upload is 415, a bad header 422, and 503 when the job queue is unavailable.',
        security: authenticated,
        consumes: ['multipart/form-data'],
        body: ImportForm,
        response: {
          202: jsonResponse(
            'The import job was queued; `Location` is the job to follow',
            JobAccepted,
            responseHeaders.location,
          ),
          ...problems(401, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new UnsupportedMediaTypeError('Send the CSV as multipart/form-data');
      const part = await request.file();
      if (!part || part.fieldname !== 'file')
        throw new ValidationError(
          [{ path: '/body/file', message: 'must contain the CSV file' }],
          'No file was uploaded',
        );
      const { jobId } = await imports.start(request.user.id, {
        filename: part.filename,
        mimetype: part.mimetype,
        stream: part.file,
      });
      return reply.code(202).header('location', `/api/v1/jobs/${jobId}`).send({ jobId });
    },
  );
};
