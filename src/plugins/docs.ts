// The OpenAPI 3.1 document is generated from the same TypeBox schemas that validate requests
// and serialize responses, so the docs cannot drift from the behaviour. Two readers of it:
// Swagger UI at /docs (with working OAuth2 password-flow "Authorize") and Scalar at /reference.
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import scalar from '@scalar/fastify-api-reference';
import fp from 'fastify-plugin';
import { quieterOf } from '../logger.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  description: string;
};

export const appInfo = { name: pkg.name, version: pkg.version, description: pkg.description };

export const TOKEN_URL = '/api/v1/auth/token';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: pkg.name, version: pkg.version, description: pkg.description },
        servers: [{ url: '/' }],
        tags: [
          { name: 'auth', description: 'Sign-up, tokens and sessions' },
          { name: 'users', description: 'Your profile and, for admins, user management' },
          { name: 'items', description: 'The catalog: CRUD, search, CSV' },
          { name: 'files', description: 'Uploads streamed to storage; downloads with ETag and byte ranges' },
          { name: 'system', description: 'Service information' },
          { name: 'health', description: 'Probes for orchestrators' },
          {
            name: 'realtime',
            description:
              'WebSockets (`/ws/echo`, `/ws/chat/{room}`, `/ws/notifications`) and Server-Sent Events (`/api/v1/events`). ' +
              'A WebSocket route answers 426 to plain HTTP; its frames are described by the `x-websocket` extension of the operation ' +
              '(`clientMessages`, `serverMessages`, `closeCodes`). Messages reach clients on every api instance through Redis pub/sub.',
          },
        ],
        components: {
          securitySchemes: {
            OAuth2PasswordBearer: {
              type: 'oauth2',
              description: 'Log in with your email as username; the access token is sent as `Authorization: Bearer`.',
              flows: { password: { tokenUrl: TOKEN_URL, scopes: {} } },
            },
            ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A personal API key' },
          },
        },
      },
    });

    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { persistAuthorization: true, deepLinking: true, tryItOutEnabled: true },
      logLevel: quieterOf('warn', app.config.logLevel),
    });

    await app.register(scalar, { routePrefix: '/reference', logLevel: quieterOf('warn', app.config.logLevel) });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'docs' },
);
