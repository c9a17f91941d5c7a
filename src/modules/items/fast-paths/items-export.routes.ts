// Fast path, the streamed export (why: items-export.repository.ts).
// GET /api/v1/items/export.csv: the filtered item list as an RFC 4180 CSV download, streamed.
// Bytes flow PostgreSQL (COPY) -> socket through stream pipes, so a slow client slows the
// database down instead of making the server buffer the export.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { attachmentDisposition } from '../../../lib/http-download.js';
import { headers, problems, responseHeaders } from '../../../lib/openapi.js';
import { EXPORT_COLUMNS, type ItemsExportService } from './items-export.service.js';
import { ExportItemsQuery } from '../items.schemas.js';

export interface ItemsExportRoutesOptions {
  exporter: ItemsExportService;
}

export const itemsExportRoutes: FastifyPluginAsyncTypebox<ItemsExportRoutesOptions> = async (app, { exporter }) => {
  // A static path: the router matches it before the `/:id` route of the items plugin.
  app.get(
    '/export.csv',
    {
      schema: {
        tags: ['items'],
        operationId: 'exportItems',
        summary: 'Export items as CSV',
        description:
          'The same filters and sort as the item list, without paging: every matching item, streamed as PostgreSQL produces it. ' +
          `Columns: ${EXPORT_COLUMNS.join(', ')} (tags joined by \`|\`, decimals with two places, dates in ISO 8601). ` +
          'RFC 4180: CRLF line ends, fields with commas, quotes or line breaks are quoted, quotes doubled. ' +
          "Text cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return (or quotes before one of them) get a leading `'` " +
          'so spreadsheets do not run them as formulas; the import removes it. ' +
          'At most EXPORT_CONCURRENCY exports run at once per instance (503 with Retry-After beyond), and an export whose client ' +
          'reads nothing for EXPORT_STALL_TIMEOUT is cut.',
        querystring: ExportItemsQuery,
        response: {
          200: {
            description: 'CSV with a header row',
            headers: headers(responseHeaders.contentDisposition, responseHeaders.cacheControl),
            content: { 'text/csv': { schema: Type.String() } },
          },
          ...problems(422, 503),
        },
      },
    },
    async (request, reply) => {
      const { sort, ...filter } = request.query;
      const csv = await exporter.open(filter, sort);
      // Errors after the headers are out can only cut the response short (the client sees a
      // truncated body); they are logged here. A client that leaves destroys the stream, which
      // drops the database connection and with it the COPY.
      csv.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ERR_EXPORT_STALLED')
          request.log.warn({ err: error }, 'CSV export cut: the client stopped reading');
        else if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE')
          request.log.error({ err: error }, 'CSV export failed midway');
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', attachmentDisposition(`items-${new Date().toISOString().slice(0, 10)}.csv`))
        .header('cache-control', 'no-store')
        .send(csv as never); // the documented body is text; Fastify sends the stream as it is
    },
  );
};
