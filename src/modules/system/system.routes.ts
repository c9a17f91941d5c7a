// Small non-JSON responses from the notes: an HTML landing page, its icon, a redirect, and /info.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { jsonResponse } from '../../lib/openapi.js';
import { appInfo } from '../../plugins/docs.js';
import { faviconRoutes } from './favicon.js';

const InfoOut = Type.Object(
  {
    name: Type.String(),
    version: Type.String(),
    environment: Type.String(),
    docs: Type.String(),
    openapi: Type.String(),
  },
  { title: 'Info' },
);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const landingPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(appInfo.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>${escapeHtml(appInfo.name)} <small>v${escapeHtml(appInfo.version)}</small></h1>
<p>${escapeHtml(appInfo.description)}</p>
<ul>
<li><a href="/docs">Swagger UI</a> (try the API, log in with <em>Authorize</em>)</li>
<li><a href="/reference">API reference</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/health/ready">Readiness</a></li>
</ul>
</body>
</html>`;

export interface SystemRoutesOptions {
  /** False when the web app is served at `/` (src/plugins/web-app.ts); its pages link the docs. */
  landingPage: boolean;
}

export const systemRoutes: FastifyPluginAsyncTypebox<SystemRoutesOptions> = async (
  app,
  { landingPage: withLandingPage },
) => {
  if (withLandingPage)
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(landingPage),
    );

  await app.register(faviconRoutes);

  app.get('/api', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 308));

  app.get(
    '/api/v1/info',
    {
      schema: {
        tags: ['system'],
        operationId: 'getInfo',
        summary: 'Name, version and environment',
        response: { 200: jsonResponse('Name, version, environment and where the docs are', InfoOut) },
      },
    },
    async () => ({
      name: appInfo.name,
      version: appInfo.version,
      environment: app.config.nodeEnv,
      docs: '/docs',
      openapi: '/openapi.json',
    }),
  );
};
