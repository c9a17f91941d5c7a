// The site icon: one small SVG (no external reference, no script), served at /favicon.svg and
// at /favicon.ico, where browsers look when a page names none. Cached for a day, then
// revalidated with its ETag.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { quieterOf } from '../../infra/logging.js';

export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="7" fill="#111827"/>' +
  '<path d="M18.5 4 8 18h6.5L12 28l11-15h-6.8z" fill="#facc15"/>' +
  '</svg>';
const ETAG = `"${createHash('sha256').update(FAVICON_SVG).digest('base64url').slice(0, 22)}"`;
export const FAVICON_CACHE_CONTROL = 'public, max-age=86400';

function matches(ifNoneMatch: string | undefined): boolean {
  return ifNoneMatch?.split(',').some((tag) => ['*', ETAG].includes(tag.trim().replace(/^W\//, ''))) ?? false;
}

export const faviconRoutes: FastifyPluginAsync = async (app) => {
  // Browsers ask on every page: warnings only in the log.
  const options = { schema: { hide: true }, logLevel: quieterOf('warn', app.config.logLevel) };
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', FAVICON_CACHE_CONTROL).header('etag', ETAG);
    if (matches(request.headers['if-none-match'])) return reply.code(304).send();
    return reply.type('image/svg+xml').send(FAVICON_SVG);
  };
  app.get('/favicon.svg', options, serve);
  app.get('/favicon.ico', options, serve);
};
