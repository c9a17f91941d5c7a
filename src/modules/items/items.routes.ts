// HTTP surface of items: schemas, status codes and guards; the rules live in ItemsService.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ifNoneMatchHits } from '../../infra/redis/entity-cache.js';
import { sendNotModified } from '../../lib/http-download.js';
import { authenticated, emptyResponse, headers, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import type { ItemsService } from './items.service.js';
import { ItemBody, ItemOut, ItemPage, ItemParams, ItemPatchBody, ListItemsQuery } from './items.schemas.js';

export interface ItemsRoutesOptions {
  items: ItemsService;
}

const tags = ['items'];
/** The validators of a single item read: its 200 and its 304 carry them. */
const readHeaders = headers(responseHeaders.etag, responseHeaders.cacheControl, responseHeaders.xCache);

export const itemsRoutes: FastifyPluginAsyncTypebox<ItemsRoutesOptions> = async (app, { items }) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        operationId: 'listItems',
        summary: 'List items',
        description:
          "Filter with `q`, `tag`, `minPrice`, `maxPrice` (inclusive; `minPrice` above `maxPrice` is 422); sort with `sort`; page with `limit` and either `skip` (at most 10000) or `cursor` (the previous page's `nextCursor`: any depth, stable while items are added).",
        querystring: ListItemsQuery,
        response: {
          200: jsonResponse('One page of the matching items, with the total count', ItemPage),
          ...problems(422),
        },
      },
    },
    async (request) => {
      const { skip, limit, sort, cursor, ...filter } = request.query;
      return items.list(filter, sort, { skip, limit }, cursor);
    },
  );

  app.post(
    '/',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'createItem',
        summary: 'Create an item',
        description: 'You own the item you create. `tax` may not exceed `price` (422).',
        security: authenticated,
        body: ItemBody,
        response: {
          201: jsonResponse('The created item; `Location` is its URL', ItemOut, responseHeaders.location),
          ...problems(401, 422),
        },
      },
    },
    async (request, reply) => {
      const item = await items.create(request.user, request.body);
      return reply
        .code(201)
        .header('location', `${request.url.split('?')[0]?.replace(/\/$/, '')}/${item.id}`)
        .send(item);
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        operationId: 'getItem',
        summary: 'Read an item',
        description:
          'Served from the Redis cache when possible (`X-Cache: HIT` or `MISS`). Answers 304 when `If-None-Match` matches the strong `ETag`.',
        params: ItemParams,
        response: {
          200: jsonResponse('The item', ItemOut, readHeaders),
          304: emptyResponse('Not modified: your copy (`If-None-Match`) is current; no body', readHeaders),
          ...problems(404, 422),
        },
      },
    },
    async (request, reply) => {
      const { body, etag, hit } = await items.read(request.params.id);
      reply
        .header('etag', etag)
        .header('cache-control', 'no-cache')
        .header('x-cache', hit ? 'HIT' : 'MISS');
      if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return sendNotModified(reply);
      // The body is already JSON (the exact bytes the ETag hashes): Fastify sends a string with a
      // JSON content type as is. The type provider expects an Item object, hence the cast.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  app.put(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'replaceItem',
        summary: 'Replace an item',
        description: 'The owner or an ADMIN. Optional fields left out are reset.',
        security: authenticated,
        params: ItemParams,
        body: ItemBody,
        response: { 200: jsonResponse('The item as replaced', ItemOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (request) => items.replace(request.user, request.params.id, request.body),
  );

  app.patch(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'updateItem',
        summary: 'Change some fields of an item',
        description:
          'The owner or an ADMIN. Only the fields sent change; `tax` is checked against the resulting `price`.',
        security: authenticated,
        params: ItemParams,
        body: ItemPatchBody,
        response: { 200: jsonResponse('The item as changed', ItemOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (request) => items.patch(request.user, request.params.id, request.body),
  );

  app.delete(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'deleteItem',
        summary: 'Delete an item',
        description: 'The owner or an ADMIN.',
        security: authenticated,
        params: ItemParams,
        response: { 204: emptyResponse('Deleted'), ...problems(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await items.delete(request.user, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
