// The built browser app (web/dist) served by the api itself, so one process is a complete app:
// its files at their paths, and index.html for the app's own routes (/items, /chat/lobby...),
// which only the browser's router knows. Everything the api already answers (/api, /ws, the
// docs, probes, metrics, the queue dashboard) keeps its own routes: this is one catch-all GET
// route, which find-my-way tries last, and it hands the server's paths back to the 404 handler
// so an unknown /api/... path stays a problem+json 404.
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface WebAppOptions {
  /** Absolute path of the build (see `findWebBuild`). */
  root: string;
}

/** Paths the api owns: never the app's index.html, even for a browser asking for HTML. */
const SERVER_PATHS = /^\/(api|ws|docs|reference|health|metrics|openapi\.json|admin\/queues)(\/|$)/;
/** Vite names web/dist/assets/* after their content: a changed file gets a new name, so they never go stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and the unhashed files next to it) must be revalidated, or a deploy goes unseen. */
const REVALIDATE = 'no-cache';

/** The build directory when it holds an app (an index.html), else undefined. */
export function findWebBuild(dir: string): string | undefined {
  const root = path.resolve(dir);
  return existsSync(path.join(root, 'index.html')) ? root : undefined;
}

const acceptsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

export default fp<WebAppOptions>(
  async (app, { root }) => {
    const assets = path.join(root, 'assets') + path.sep;
    // `serve: false`: no routes of its own (they would clash with /favicon.svg and friends);
    // only reply.sendFile, with its ETag, ranges, 304s and path-traversal checks. The caching
    // header is set once a file is found, so a 404 is never cached for a year.
    await app.register(fastifyStatic, {
      root,
      serve: false,
      index: false,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, file) => reply.header('cache-control', file.startsWith(assets) ? IMMUTABLE : REVALIDATE),
    });

    const sendIndex = (reply: FastifyReply) => reply.sendFile('index.html');

    app.get('/', { schema: { hide: true } }, (_request, reply) => sendIndex(reply));

    app.get<{ Params: { '*': string } }>('/*', { schema: { hide: true } }, (request, reply) => {
      const pathname = `/${request.params['*']}`;
      if (SERVER_PATHS.test(pathname)) return reply.callNotFound();
      // A path whose last segment looks like a file name is a file: present or a plain 404.
      if (/\.[^/]*$/.test(pathname)) return reply.sendFile(pathname.slice(1));
      // A client route: the app decides what it shows (its own 404 page included).
      if (acceptsHtml(request)) return sendIndex(reply);
      return reply.callNotFound();
    });
  },
  { name: 'web-app', dependencies: ['errors'] },
);
