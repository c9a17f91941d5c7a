// The API reference at /reference is self-contained (no font, script or service from another
// host, so it works offline) and without vendor buttons; the site icon exists and is cacheable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp } from '../../helpers/app.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('/reference (Scalar)', () => {
  it('references no other host and turns off fonts, telemetry and the vendor buttons', async () => {
    const page = await app.inject({ method: 'GET', url: '/reference/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    // Its script comes from this server.
    expect(page.body).toContain('<script src="js/scalar.js"></script>');
    expect((await app.inject({ method: 'GET', url: '/reference/js/scalar.js' })).statusCode).toBe(200);

    const configuration = JSON.parse(/createApiReference\('#app', (\{[\s\S]*?\})\)\s*<\/script>/.exec(page.body)![1]!);
    expect(configuration).toMatchObject({
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: true,
      showDeveloperTools: 'never',
      agent: { disabled: true },
      mcp: { disabled: true },
      favicon: '/favicon.svg',
      url: './openapi.json',
    });
    expect(page.body).toContain('<title>fastify-production-template API reference</title>');
  });
});

describe('site icon', () => {
  it.each(['/favicon.svg', '/favicon.ico'])(
    '%s is a small SVG, cached for a day and revalidated by ETag',
    async (url) => {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/svg+xml');
      expect(response.headers['cache-control']).toBe('public, max-age=86400');
      expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(response.body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/);
      // Nothing an image could fetch or run.
      expect(response.body).not.toMatch(/href|<script|on\w+=/i);
      expect(response.body.length).toBeLessThan(1024);

      const revalidated = await app.inject({
        method: 'GET',
        url,
        headers: { 'if-none-match': `W/${response.headers.etag}, "other"` },
      });
      expect(revalidated.statusCode).toBe(304);
      expect(revalidated.body).toBe('');
      expect(revalidated.headers.etag).toBe(response.headers.etag);
      expect((await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
    },
  );

  it('is named by the landing page and not listed in the API document', async () => {
    expect((await app.inject({ method: 'GET', url: '/' })).body).toContain(
      '<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
    );
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/favicon'))).toEqual([]);
  });
});
