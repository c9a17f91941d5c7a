import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createUser } from '../helpers/app.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
});
afterAll(() => app.close());

describe('security headers, CORS and compression', () => {
  it('sets helmet security headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/info' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('allows only the configured origins', async () => {
    const allowed = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/items',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');

    const denied = await app.inject({ method: 'GET', url: '/api/v1/info', headers: { origin: 'https://evil.example.com' } });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('compresses responses above 1 KB, not below', async () => {
    const user = await createUser(app);
    for (let i = 0; i < 15; i++) {
      await app.inject({ method: 'POST', url: '/api/v1/items', headers: user.headers, payload: { name: `Compressible item ${i}`, price: 1, description: 'x'.repeat(100) } });
    }
    const big = await app.inject({ method: 'GET', url: '/api/v1/items?limit=15', headers: { 'accept-encoding': 'gzip' } });
    expect(big.headers['content-encoding']).toBe('gzip');
    const small = await app.inject({ method: 'GET', url: '/api/v1/info', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});
