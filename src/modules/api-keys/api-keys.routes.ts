// /api/v1/users/me/api-keys: manage your personal API keys. Managing keys needs a bearer
// session: a leaked key must not be able to mint itself successors.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../lib/errors.js';
import { emptyResponse, headers, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import { PaginationQuery } from '../../lib/pagination.js';
import type { ApiKeysService } from './api-keys.service.js';
import { ApiKeyOut, ApiKeyPage, ApiKeyParams, CreateApiKeyBody, CreatedApiKeyOut } from './api-keys.schemas.js';

export interface ApiKeysRoutesOptions {
  apiKeys: ApiKeysService;
}

const tags = ['users'];
const bearerOnly = [{ OAuth2PasswordBearer: [] }];

async function requireBearerSession(request: FastifyRequest) {
  if (!request.accessClaims) throw new ForbiddenError('API keys are managed with a bearer token, not with an API key');
}

export const apiKeysRoutes: FastifyPluginAsyncTypebox<ApiKeysRoutesOptions> = async (app, { apiKeys }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', requireBearerSession);

  app.post(
    '/',
    {
      schema: {
        tags,
        operationId: 'createApiKey',
        summary: 'Create a personal API key',
        description: 'The answer holds the key; it is shown this once and stored only as a hash.',
        security: bearerOnly,
        body: CreateApiKeyBody,
        response: {
          201: jsonResponse(
            'The new key, with the secret shown this once; `Location` is its URL',
            CreatedApiKeyOut,
            headers(responseHeaders.location, responseHeaders.cacheControl),
          ),
          ...problems(401, 403, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(request.user.id, request.body.name);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/api/v1/users/me/api-keys/${created.id}`)
        .send(created);
    },
  );

  app.get(
    '/',
    {
      schema: {
        tags,
        operationId: 'listApiKeys',
        summary: 'List your API keys',
        security: bearerOnly,
        querystring: PaginationQuery,
        response: {
          200: jsonResponse('One page of your keys (metadata only), with the total count', ApiKeyPage),
          ...problems(401, 403, 422),
        },
      },
    },
    async (request) => apiKeys.list(request.user.id, request.query),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        operationId: 'getApiKey',
        summary: 'Read one of your API keys',
        description:
          "Metadata only (name, prefix, `lastUsedAt`, `createdAt`): the key itself was shown once, at creation. Someone else's key, or a revoked one, is 404.",
        security: bearerOnly,
        params: ApiKeyParams,
        response: { 200: jsonResponse('The key’s metadata', ApiKeyOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (request) => apiKeys.get(request.user.id, request.params.id),
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        operationId: 'deleteApiKey',
        summary: 'Revoke an API key',
        description: 'The key stops working at once, on every instance.',
        security: bearerOnly,
        params: ApiKeyParams,
        response: { 204: emptyResponse('Revoked'), ...problems(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
