// Cache-aside for GET /api/v1/items/:id against the real Redis: hits and misses, the strong
// ETag, invalidation seen by a second instance, one database read for a burst of misses, and
// reads that keep working (from PostgreSQL) while Redis is away and use the cache again after.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { PrismaClient } from '../../../src/db/prisma.js';
import { ItemsRepository } from '../../../src/modules/items/items.repository.js';
import { buildTestApp } from '../../helpers/app.js';
import { createItem } from '../../helpers/factories/items.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { PrivateRedis } from '../../helpers/private-redis.js';
import { monitorRedis } from '../../helpers/redis-monitor.js';

let appA: App;
let appB: App;
let owner: TestUser;
let redis: Redis;

const lamp = { name: 'Cached lamp', price: 10, tags: ['x'] };

const read = (app: App, id: number, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `/api/v1/items/${id}`, headers });

/**
 * The first read with `name` once another instance's write has reached `app`: its in-process
 * copy goes when the invalidation message arrives (well under the 500 ms allowed here;
 * CACHE_LOCAL_TTL at most).
 */
async function fresh(app: App, id: number, name: string, headers: Record<string, string> = {}) {
  let response: Awaited<ReturnType<typeof read>> | undefined;
  await expect
    .poll(
      async () => {
        response = await read(app, id, headers);
        return response.statusCode === 200 ? response.json<{ name: string }>().name : undefined;
      },
      { timeout: 500, interval: 5 },
    )
    .toBe(name);
  return response!;
}

beforeAll(async () => {
  [appA, appB] = await Promise.all([buildTestApp(), buildTestApp()]);
  owner = await createUser(appA);
  redis = new Redis(inject('redisUrl'), { keyPrefix: inject('redisPrefix') });
});
afterAll(async () => {
  redis.disconnect();
  await Promise.all([appA.close(), appB.close()]);
});

describe('GET /api/v1/items/:id cache', () => {
  it('answers MISS then HIT with the same body and strong ETag, and 304 on If-None-Match', async () => {
    const item = await createItem(appA, owner, lamp);
    const first = await read(appA, item.id);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/); // strong: no W/ prefix

    const second = await read(appA, item.id);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(second.headers.etag).toBe(etag);
    expect(second.json()).toMatchObject({
      id: item.id,
      name: 'Cached lamp',
      price: 10,
      tags: ['x'],
      ownerId: owner.id,
    });

    const notModified = await read(appA, item.id, { 'if-none-match': `"other", ${etag}` });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
  });

  it('stores the entry with the configured TTL', async () => {
    const item = await createItem(appA, owner, lamp);
    await read(appA, item.id);
    const ttl = await redis.ttl(`cache:items:${item.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(appA.config.cacheTtl);
  });

  it('is invalidated for every instance by PATCH, PUT and DELETE', async () => {
    const item = await createItem(appA, owner, lamp);
    await read(appA, item.id);
    const cachedOnB = await read(appB, item.id);
    expect(cachedOnB.headers['x-cache']).toBe('HIT');

    const patched = await appB.inject({
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      headers: owner.headers,
      payload: { name: 'Renamed' },
    });
    expect(patched.statusCode).toBe(200);
    // The writer's own copy is dropped before it answers; A's when the pub/sub message arrives.
    const afterPatch = await fresh(appA, item.id, 'Renamed', { 'if-none-match': cachedOnB.headers.etag as string });
    expect(afterPatch.statusCode).toBe(200);
    // Redis's entry went with the write: the first fresh read loads it.
    expect(afterPatch.headers['x-cache']).toBe('MISS');
    expect(afterPatch.json()).toMatchObject({ name: 'Renamed' });
    expect(afterPatch.headers.etag).not.toBe(cachedOnB.headers.etag);
    expect((await read(appB, item.id)).headers['x-cache']).toBe('HIT');

    const replaced = await appA.inject({
      method: 'PUT',
      url: `/api/v1/items/${item.id}`,
      headers: owner.headers,
      payload: { name: 'Replaced', price: 3 },
    });
    expect(replaced.statusCode).toBe(200);
    const afterPut = await fresh(appB, item.id, 'Replaced');
    expect(afterPut.headers['x-cache']).toBe('MISS');
    expect(afterPut.json()).toMatchObject({ name: 'Replaced', price: 3, tags: [] });

    const deleted = await appB.inject({ method: 'DELETE', url: `/api/v1/items/${item.id}`, headers: owner.headers });
    expect(deleted.statusCode).toBe(204);
    expect((await read(appB, item.id)).statusCode).toBe(404);
    await expect.poll(async () => (await read(appA, item.id)).statusCode, { timeout: 500, interval: 5 }).toBe(404);
  });

  it('does not cache a 404', async () => {
    expect((await read(appA, 2_000_000_000)).statusCode).toBe(404);
    expect(await redis.exists('cache:items:2000000000')).toBe(0);
  });
});

describe('the in-process copy in front of Redis', () => {
  it('answers a repeated read on the same instance without asking Redis', async () => {
    const item = await createItem(appA, owner, lamp);
    await read(appA, item.id);
    const monitor = await monitorRedis(inject('redisUrl'));
    try {
      const again = await read(appA, item.id);
      expect(again.headers['x-cache']).toBe('HIT');
      const gets = () =>
        monitor.commands.filter(([name, key]) => /^get$/i.test(name ?? '') && key?.endsWith(`cache:items:${item.id}`));
      await monitor.settle();
      expect(gets()).toEqual([]);
      // The watch does see such a read: instance B, which holds no copy, asks Redis.
      expect((await read(appB, item.id)).headers['x-cache']).toBe('HIT');
      await monitor.settle();
      expect(gets()).toHaveLength(1);
    } finally {
      monitor.stop();
    }
  });

  it('an update on instance A: B stops serving its copy once the invalidation message arrives', async () => {
    const item = await createItem(appA, owner, lamp);
    await read(appB, item.id);
    expect((await read(appB, item.id)).headers['x-cache']).toBe('HIT');
    const channel = `${inject('redisPrefix')}cache:items:invalidated`;
    const listener = new Redis(inject('redisUrl'));
    const messages: string[] = [];
    await listener.subscribe(channel);
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    try {
      const patched = await appA.inject({
        method: 'PATCH',
        url: `/api/v1/items/${item.id}`,
        headers: owner.headers,
        payload: { name: 'Patched on A' },
      });
      expect(patched.statusCode).toBe(200);
      // A's own copy went before it answered.
      expect((await read(appA, item.id)).json()).toMatchObject({ name: 'Patched on A' });
      await expect.poll(() => messages, { timeout: 1_000, interval: 5 }).toContain(String(item.id));
      // Redis holds the new version (A's read above stored it): B serves that from now on.
      const onB = await fresh(appB, item.id, 'Patched on A');
      expect(onB.headers['x-cache']).toBe('HIT');
      expect((await read(appB, item.id)).json()).toMatchObject({ name: 'Patched on A' });
    } finally {
      listener.disconnect();
    }
  });

  it('when the invalidation message is lost, a copy is served CACHE_LOCAL_TTL at most', async () => {
    // 3 s: long enough that the stale read below comes well within it on a busy machine.
    const app = await buildTestApp({ env: { CACHE_LOCAL_TTL: '3s' } });
    try {
      const item = await createItem(app, owner, lamp);
      await read(app, item.id);
      const copiedAt = Date.now();
      // What a write does, except the PUBLISH: the row changes and Redis's entry goes.
      await app.prisma.item.update({ where: { id: item.id }, data: { name: 'Changed unannounced' } });
      await redis.del(`cache:items:${item.id}`);
      // The copy still answers: nothing told this instance.
      expect((await read(app, item.id)).json()).toMatchObject({ name: 'Cached lamp' });
      await expect
        .poll(async () => (await read(app, item.id)).json<{ name: string }>().name, { timeout: 6_000, interval: 20 })
        .toBe('Changed unannounced');
      const staleFor = Date.now() - copiedAt;
      expect(staleFor).toBeGreaterThanOrEqual(2_900);
      expect(staleFor).toBeLessThanOrEqual(3_500);
    } finally {
      await app.close();
    }
  });

  it('CACHE_LOCAL_TTL=0 turns the copy off: every read asks Redis', async () => {
    const app = await buildTestApp({ env: { CACHE_LOCAL_TTL: '0' } });
    try {
      const item = await createItem(app, owner, lamp);
      await read(app, item.id);
      await app.prisma.item.update({ where: { id: item.id }, data: { name: 'Changed unannounced' } });
      await redis.del(`cache:items:${item.id}`);
      expect((await read(app, item.id)).json()).toMatchObject({ name: 'Changed unannounced' });
    } finally {
      await app.close();
    }
  });
});

describe('a burst of misses (stampede)', () => {
  it('reaches the database once for one key', async () => {
    let reads = 0;
    class CountingRepository extends ItemsRepository {
      override async findById(id: number) {
        reads += 1;
        return super.findById(id);
      }
    }
    const app = await buildTestApp({
      overrides: { items: { repository: new CountingRepository(appA.prisma as PrismaClient) } },
    });
    try {
      const item = await createItem(app, owner, lamp);
      reads = 0;
      const responses = await Promise.all(Array.from({ length: 25 }, () => read(app, item.id)));
      expect(responses.every((response) => response.statusCode === 200)).toBe(true);
      expect(new Set(responses.map((response) => response.body)).size).toBe(1);
      expect(reads).toBe(1);
      expect((await read(app, item.id)).headers['x-cache']).toBe('HIT');
      expect(reads).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('Redis outage', () => {
  it('falls back to the database with one warning per outage, then uses the cache again', async () => {
    const server = await PrivateRedis.start();
    const logLines: string[] = [];
    const app = await buildTestApp({
      env: { REDIS_URL: server.url, LOG_LEVEL: 'info' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    try {
      const item = await createItem(app, owner, lamp);
      expect((await read(app, item.id)).headers['x-cache']).toBe('MISS');
      expect((await read(app, item.id)).headers['x-cache']).toBe('HIT');

      await server.stop();
      // Until the client notices, the in-process copy (at most CACHE_LOCAL_TTL old) may answer.
      await expect.poll(() => app.redis.status, { timeout: 5_000, interval: 20 }).not.toBe('ready');
      const during = [];
      for (let i = 0; i < 6; i += 1) during.push(await read(app, item.id));
      for (const response of during) {
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-cache']).toBe('MISS');
        expect(response.json()).toMatchObject({ id: item.id, name: 'Cached lamp' });
      }
      // Writes keep working; their invalidation is remembered for when Redis is back.
      const patched = await app.inject({
        method: 'PATCH',
        url: `/api/v1/items/${item.id}`,
        headers: owner.headers,
        payload: { name: 'Changed offline' },
      });
      expect(patched.statusCode).toBe(200);
      expect((await read(app, item.id)).json()).toMatchObject({ name: 'Changed offline' });
      const warnings = logLines.filter((line) => line.includes('items cache: redis unavailable'));
      expect(warnings).toHaveLength(1);

      await server.start();
      await expect.poll(() => app.redis.status, { timeout: 10_000, interval: 100 }).toBe('ready');
      const recovered = await read(app, item.id);
      expect(recovered.statusCode).toBe(200);
      expect(recovered.json()).toMatchObject({ name: 'Changed offline' });
      expect((await read(app, item.id)).headers['x-cache']).toBe('HIT');
      // The offline invalidation was replayed: the item's version was bumped once.
      expect(await app.redis.get(`cache:items:${item.id}:v`)).toBe('1');
      expect(logLines.some((line) => line.includes('items cache: redis is back'))).toBe(true);
    } finally {
      await app.close();
      await server.stop();
    }
  });
});
