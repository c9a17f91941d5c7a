// The OpenAPI 3.1 document is generated from the same TypeBox schemas that validate requests
// and serialize responses, so the docs cannot drift from the behaviour. Two readers of it:
// Swagger UI at /docs (with working OAuth2 password-flow "Authorize") and Scalar at /reference.
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ApiReferenceConfiguration } from '@scalar/fastify-api-reference';
import fp from 'fastify-plugin';
import { completeDocument } from '../lib/openapi-document.js';
import { quieterOf } from '../infra/logging.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  license: string;
};

export const appInfo = { name: pkg.name, version: pkg.version, description: pkg.description };

export const TOKEN_URL = '/api/v1/auth/token';

const SCALAR_PREFIX = '/reference' as const;
/**
 * Scalar's page, self-contained and without vendor features: no fonts from fonts.scalar.com
 * (the page works offline, in the system fonts), no telemetry, and none of the buttons that
 * lead to Scalar's services, which it shows on localhost (Ask AI, Generate MCP, the developer
 * tools with Deploy, the API client's own button). "Test Request" stays.
 */
export const SCALAR_CONFIGURATION = {
  pageTitle: `${pkg.name} API reference`,
  favicon: '/favicon.svg',
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
} satisfies Partial<ApiReferenceConfiguration>;
/** Headers of the sub-application's answer that the outer reply sets itself. */
const HOP_HEADERS = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * Scalar's plugin embeds its whole browser bundle as a string and brings an OpenAPI parser:
 * about 17 MB of heap (two copies of a 4 MB two-byte string) and 30 MB of RSS held by every api
 * process from start-up, for a page few requests ever ask for (tools/bench/results: the export's RSS
 * target). So it is loaded with the first request under /reference, into a private Fastify
 * instance that is never listened on, and each request is passed to it with `inject`: the
 * same routes, pages and answers as the plugin registered here, and this app's hooks (security
 * headers, rate limit, logging) still run first. A failed load is retried by the next request.
 */
function lazyScalar(app: FastifyInstance, prefix: `/${string}`): void {
  let reference: Promise<FastifyInstance> | undefined;
  const load = () =>
    (reference ??= (async () => {
      const { default: scalar } = await import('@scalar/fastify-api-reference');
      const sub = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
      await sub.register(scalar, {
        routePrefix: prefix,
        configuration: { ...SCALAR_CONFIGURATION, content: () => app.swagger() },
      });
      await sub.ready();
      return sub;
    })().catch((err: unknown) => {
      reference = undefined;
      throw err;
    }));
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const sub = await load();
    const answer = await sub.inject({
      method: 'GET',
      url: request.url,
      headers: { host: request.headers.host ?? 'localhost' },
    });
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value);
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  const options = { schema: { hide: true }, logLevel: quieterOf('warn', app.config.logLevel) };
  app.get(prefix, options, forward);
  app.get(`${prefix}/*`, options, forward);
  app.addHook('onClose', async () => {
    await (await reference?.catch(() => undefined))?.close();
  });
}

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: pkg.name,
          version: pkg.version,
          description: pkg.description,
          license: { name: pkg.license, url: `https://spdx.org/licenses/${pkg.license}.html` },
        },
        servers: [{ url: '/' }],
        tags: [
          { name: 'auth', description: 'Sign-up, tokens and sessions' },
          { name: 'users', description: 'Your profile and, for admins, user management' },
          { name: 'items', description: 'The catalog: CRUD, search, CSV' },
          { name: 'files', description: 'Uploads streamed to storage; downloads with ETag and byte ranges' },
          { name: 'jobs', description: 'Background jobs: state, progress and result' },
          { name: 'reports', description: 'Reports produced by background jobs, downloadable as files' },
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
      // What every operation shares (security, 400/413/415/429/503, common headers) is added
      // here once; see completeDocument. The result is cached by @fastify/swagger.
      transformObject: (documents) =>
        'openapiObject' in documents ? completeDocument(documents.openapiObject) : documents.swaggerObject,
    });

    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { persistAuthorization: true, deepLinking: true, tryItOutEnabled: true },
      logLevel: quieterOf('warn', app.config.logLevel),
    });

    lazyScalar(app, SCALAR_PREFIX);

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'docs' },
);
