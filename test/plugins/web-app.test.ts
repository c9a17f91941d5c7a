// The api serving the built web app (src/plugins/web-app.ts) from a small stand-in build, and
// the api without a build: today's landing page.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf } from '../helpers/app.js';

const dist = path.resolve('.tmp', `web-dist-${inject('runId')}`);
const INDEX =
  '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-4f2a9c1b.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

let app: App;

beforeAll(async () => {
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(dist, 'index.html'), INDEX);
  await writeFile(path.join(dist, 'assets', 'index-4f2a9c1b.js'), SCRIPT);
  await writeFile(path.join(dist, 'robots.txt'), 'User-agent: *\n');
  await writeFile(path.join(dist, '.env'), 'SECRET=1\n');
  app = await buildTestApp({ env: { WEB_DIST_DIR: dist } });
});
afterAll(async () => {
  await app.close();
  await rm(dist, { recursive: true, force: true });
});

describe('with a web build', () => {
  it('serves index.html at / for revalidation on every visit, under the CSP the app needs', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(INDEX);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self'/);
    // 'self' covers same-origin ws: and wss: (CSP 3), which the chat and notifications use.
    expect(csp).toMatch(/connect-src 'self'/);
  });

  it('serves hashed assets with a year-long immutable cache, compressed, and answers 304 to a revalidation', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/assets/index-4f2a9c1b.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-encoding']).toBe('gzip');

    const etag = String(response.headers.etag);
    const again = await app.inject({
      method: 'GET',
      url: '/assets/index-4f2a9c1b.js',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves other files of the build with no-cache', async () => {
    const response = await app.inject({ method: 'GET', url: '/robots.txt' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe('User-agent: *\n');
  });

  it('answers a missing file with a problem+json 404 that no cache keeps', async () => {
    for (const url of ['/assets/index-00000000.js', '/nope.png']) {
      const response = await app.inject({ method: 'GET', url, headers: html });
      expect(response.statusCode, url).toBe(404);
      expect(problemOf(response).status).toBe(404);
      expect(response.headers['cache-control'], url).toBeUndefined();
    }
  });

  it('never serves dotfiles or anything outside the build', async () => {
    for (const url of ['/.env', '/..%2fpackage.json', '/assets/..%2f..%2fpackage.json']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.body, url).not.toContain('SECRET');
      expect(response.body, url).not.toContain('fastify-production-template');
    }
  });

  it('answers the app routes a browser opens with index.html, query strings and deep paths included', async () => {
    for (const url of [
      '/items',
      '/items?q=lamp&sort=-price',
      '/items/new',
      '/chat/lobby',
      '/profile',
      '/admin',
      '/no/such/page',
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.body, url).toBe(INDEX);
    }
    const head = await app.inject({ method: 'HEAD', url: '/items', headers: html });
    expect(head.statusCode).toBe(200);
  });

  it('answers a non-HTML request for an unknown path with a problem+json 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/items', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
    expect(problemOf(response).detail).toBe('No route for GET /items');
  });

  it('keeps unknown server paths problem+json 404s, even for a browser', async () => {
    for (const url of [
      '/api/v1/nope',
      '/api/nope/deeper',
      '/ws/nope',
      '/health/nope',
      '/docs/nope.html',
      '/admin/queues/nope/x',
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: html });
      expect(response.statusCode, url).not.toBe(200);
      expect(response.body, url).not.toBe(INDEX);
    }
    const api = await app.inject({ method: 'GET', url: '/api/v1/nope', headers: html });
    expect(api.statusCode).toBe(404);
    expect(problemOf(api).detail).toBe('No route for GET /api/v1/nope');
  });

  it('leaves the API, docs, probes, metrics and the queue dashboard as they were', async () => {
    const info = await app.inject({ method: 'GET', url: '/api/v1/info' });
    expect(info.json()).toMatchObject({ docs: '/docs' });
    expect((await app.inject({ method: 'GET', url: '/api' })).statusCode).toBe(308);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).json()).toMatchObject({ openapi: '3.1.0' });
    const docs = await app.inject({ method: 'GET', url: '/docs/', headers: html });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).not.toBe(INDEX);
    expect(docs.body).toMatch(/swagger/i);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const dashboard = await app.inject({ method: 'GET', url: '/admin/queues', headers: html });
    expect(dashboard.body).not.toBe(INDEX);
    expect(dashboard.statusCode).not.toBe(200);
    const unauthorized = await app.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(problemOf(unauthorized).status).toBe(401);
  });
});

describe('without a web build', () => {
  let bare: App;
  beforeAll(async () => {
    bare = await buildTestApp({ env: { WEB_DIST_DIR: path.join(dist, 'missing') } });
  });
  afterAll(() => bare.close());

  it('serves the landing page at / and 404s the app routes, as before the web app', async () => {
    const landing = await bare.inject({ method: 'GET', url: '/', headers: html });
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain('href="/docs"');
    const route = await bare.inject({ method: 'GET', url: '/items', headers: html });
    expect(route.statusCode).toBe(404);
    expect(problemOf(route).status).toBe(404);
  });
});
