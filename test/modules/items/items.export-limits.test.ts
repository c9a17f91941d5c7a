// The anonymous CSV export cannot starve an instance: exports run on their own small pool, one
// beyond EXPORT_CONCURRENCY is refused at once with 503 + Retry-After while the rest of the API
// keeps answering, and a client that stops reading loses its export after EXPORT_STALL_TIMEOUT,
// which cancels the COPY and frees the connection. Real sockets, real PostgreSQL.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

const STALL_SECONDS = 2;
let app: App;
let port: number;
let owner: TestUser;
const tag = `limits-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  // An API pool as small as the export pool: two stalled exports on it would starve the API.
  app = await buildTestApp({
    env: { DATABASE_POOL_MAX: '2', EXPORT_CONCURRENCY: '2', EXPORT_STALL_TIMEOUT: `${STALL_SECONDS}s` },
  });
  owner = await createUser(app);
  // About 30 MB of CSV: far more than the socket buffers between a paused client and the server.
  await app.prisma.$executeRawUnsafe(
    `INSERT INTO items (owner_id, name, description, price, tags, updated_at) SELECT ${owner.id}, 'bulk ' || g, repeat('x', 1000), 1, ARRAY['${tag}'], now() FROM generate_series(1, 30000) g`,
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(() => app.close());

const activeCopies = async () =>
  Number(
    (
      await app.prisma.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%' AND query LIKE '%${tag}%' AND state = 'active'`,
      )
    )[0]!.n,
  );
const busyExportConnections = () =>
  app.services.database.exportPool.totalCount - app.services.database.exportPool.idleCount;

/** Starts an export and stops reading it, like a stalled client. */
async function stalledExport(): Promise<{
  request: http.ClientRequest;
  response: http.IncomingMessage;
  ended: Promise<string>;
}> {
  const request = http.get({ host: '127.0.0.1', port, path: `/api/v1/items/export.csv?tag=${tag}` });
  const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
  expect(response.statusCode).toBe(200);
  response.pause();
  const ended = new Promise<string>((resolve) => {
    response.once('end', () => resolve('end'));
    response.once('aborted', () => resolve('aborted'));
    response.once('error', () => resolve('aborted'));
    request.once('error', () => resolve('aborted'));
  });
  return { request, response, ended };
}

describe('CSV export limits', () => {
  it('refuses one export beyond EXPORT_CONCURRENCY with 503 + Retry-After, while the API keeps answering', async () => {
    const held = [await stalledExport(), await stalledExport()];
    try {
      expect(app.services.items.exportService.running).toBe(2);
      // Held on the export pool, none on the API's.
      expect(busyExportConnections()).toBe(2);
      expect(app.services.database.pool.totalCount - app.services.database.pool.idleCount).toBe(0);
      const refused = await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=${tag}` });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(problemOf(refused).detail).toMatch(/Too many CSV exports/);

      // The API's own pool is untouched: many requests at once all succeed, quickly.
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          app.inject({
            method: 'GET',
            url: i % 2 ? `/api/v1/items?tag=${tag}&limit=1` : '/api/v1/users/me',
            headers: owner.headers,
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      for (const { request } of held) request.destroy();
    }
    // The slots come back when the clients leave.
    await vi.waitFor(() => expect(app.services.items.exportService.running).toBe(0), { timeout: 10_000, interval: 50 });
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=${tag}&maxPrice=0.5` })).statusCode,
    ).toBe(200);
  });

  it('cuts a client that stops reading after EXPORT_STALL_TIMEOUT: the COPY is cancelled and the connection freed', async () => {
    const stalled = await stalledExport();
    await vi.waitFor(async () => expect(await activeCopies()).toBe(1), { timeout: 10_000, interval: 100 });
    const since = performance.now();
    expect(busyExportConnections()).toBe(1);

    // Still held half-way through the timeout: it is the timeout, not the end of the data, that frees it.
    await new Promise((resolve) => setTimeout(resolve, (STALL_SECONDS * 1000) / 2));
    expect(await activeCopies()).toBe(1);

    await vi.waitFor(
      async () => {
        expect(await activeCopies()).toBe(0);
        expect(busyExportConnections()).toBe(0);
        expect(app.services.items.exportService.running).toBe(0);
      },
      { timeout: 15_000, interval: 100 },
    );
    const freedAfter = performance.now() - since;
    expect(freedAfter).toBeGreaterThanOrEqual(STALL_SECONDS * 1000 * 0.5);
    // The client sees its download cut short, not a complete file.
    stalled.response.resume();
    expect(await stalled.ended).toBe('aborted');
    stalled.request.destroy();
  });
});
