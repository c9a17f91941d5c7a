// Draining (src/plugins/draining.ts): once an instance starts draining, new requests are refused
// with a 503 problem that a proxy may retry elsewhere, probes still answer for themselves, and a
// request already in flight finishes normally.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf } from '../helpers/app.js';

let app: App;
let release: () => void = () => {};

beforeAll(async () => {
  app = await buildTestApp({
    extend: (instance) =>
      instance.get('/test/slow', async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return { done: true };
      }),
  });
});
afterAll(async () => {
  await app.close();
});

describe('draining', () => {
  it('refuses new requests with 503 while in-flight ones finish; probes keep answering', async () => {
    const inFlight = app.inject({ method: 'GET', url: '/test/slow' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);

    app.startDraining();
    const refused = await app.inject({ method: 'POST', url: '/api/v1/items', payload: { name: 'x', price: 1 } });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(problemOf(refused)).toMatchObject({ status: 503, detail: expect.stringMatching(/shutting down/) });

    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);

    release();
    const finished = await inFlight;
    expect(finished.statusCode).toBe(200);
    expect(finished.json()).toEqual({ done: true });
  });
});
