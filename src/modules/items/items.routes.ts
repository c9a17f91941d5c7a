// HTTP surface of items: schemas, status codes and guards; the rules live in ItemsService.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ifNoneMatchHits, strongEtag, type EntityCache } from '../../lib/entity-cache.js';
import { authenticated, problems } from '../../lib/openapi.js';
import type { ItemsService } from './items.service.js';
import { ItemBody, ItemOut, ItemPage, ItemParams, ItemPatchBody, ListItemsQuery } from './items.schemas.js';

export interface ItemsRoutesOptions {
  items: ItemsService;
  /** Cache-aside for single reads; without it every read goes to the database. */
  cache?: Pick<EntityCache, 'read'>;
}

const tags = ['items'];

export const itemsRoutes: FastifyPluginAsyncTypebox<ItemsRoutesOptions> = async (app, { items, cache }) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'List items',
        description:
          'Filter with `q`, `tag`, `minPrice`, `maxPrice` (inclusive; `minPrice` above `maxPrice` is 422); sort with `sort`; page with `skip` and `limit`.',
        querystring: ListItemsQuery,
        response: { 200: ItemPage, ...problems(422) },
      },
    },
    async (request) => {
      const { skip, limit, sort, ...filter } = request.query;
      return items.list(filter, sort, { skip, limit });
    },
  );

  app.post(
    '/',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        summary: 'Create an item',
        security: authenticated,
        body: ItemBody,
        response: { 201: ItemOut, ...problems(401, 422) },
      },
    },
    async (request, reply) => {
      const item = await items.create(request.user, request.body);
      return reply.code(201).header('location', `${request.url.split('?')[0]?.replace(/\/$/, '')}/${item.id}`).send(item);
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        summary: 'Read an item',
        description: 'Served from the Redis cache when possible (`X-Cache: HIT` or `MISS`). Answers 304 when `If-None-Match` matches the strong `ETag`.',
        params: ItemParams,
        response: { 200: ItemOut, 304: Type.Null({ description: 'Not modified' }), ...problems(404, 422) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const load = () => items.get(id);
      const { body, etag, hit } = cache ? await cache.read(id, load) : { ...uncached(await load()), hit: false };
      reply.header('etag', etag).header('cache-control', 'no-cache').header('x-cache', hit ? 'HIT' : 'MISS');
      if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
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
        summary: 'Replace an item',
        security: authenticated,
        params: ItemParams,
        body: ItemBody,
        response: { 200: ItemOut, ...problems(401, 403, 404, 422) },
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
        summary: 'Change some fields of an item',
        security: authenticated,
        params: ItemParams,
        body: ItemPatchBody,
        response: { 200: ItemOut, ...problems(401, 403, 404, 422) },
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
        summary: 'Delete an item',
        security: authenticated,
        params: ItemParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problems(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await items.delete(request.user, request.params.id);
      return reply.code(204).send(null);
    },
  );
};

function uncached(item: unknown) {
  const body = JSON.stringify(item);
  return { body, etag: strongEtag(body) };
}
