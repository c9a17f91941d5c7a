// The coalescing rate-limit store against the run's real Redis: counts must be exactly those of
// one INCR per hit, however the hits are batched.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { coalescingRedisStore } from '../../src/infra/redis/rate-limit-store.js';
import { monitorRedis, type RedisMonitor } from '../helpers/redis-monitor.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { keyPrefix: `${inject('redisPrefix')}rls:` });
});
afterAll(() => redis.quit());

type Result = { current: number; ttl: number };

/** Script calls naming the key (MONITOR also lists the commands a script runs). */
const scriptCalls = (monitor: RedisMonitor, key: string) =>
  monitor.commands.filter(([name, ...args]) => /^eval(sha)?$/i.test(name ?? '') && args.some((a) => a.endsWith(key)))
    .length;

function hit(
  store: { incr(key: string, cb: (err: Error | null, result?: Result) => void, timeWindow: number): void },
  key: string,
  timeWindow = 60_000,
) {
  return new Promise<Result>((resolve, reject) =>
    store.incr(key, (err, result) => (err ? reject(err) : resolve(result!)), timeWindow),
  );
}

describe('coalescingRedisStore', () => {
  it('counts sequential hits one by one and starts the window on the first', async () => {
    const Store = coalescingRedisStore(redis, 'seq:');
    const store = new Store();
    const key = randomUUID();
    const first = await hit(store, key, 5_000);
    expect(first.current).toBe(1);
    expect(first.ttl).toBe(5_000);
    const second = await hit(store, key, 5_000);
    expect(second.current).toBe(2);
    expect(second.ttl).toBeGreaterThan(0);
    expect(second.ttl).toBeLessThanOrEqual(5_000);
    expect(await redis.pttl(`seq:${key}`)).toBeGreaterThan(0);
  });

  it('gives concurrent hits the counts 1..n, in arrival order, with fewer commands than hits', async () => {
    const Store = coalescingRedisStore(redis, 'conc:');
    const store = new Store();
    const key = randomUUID();
    const monitor = await monitorRedis(inject('redisUrl'));
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => hit(store, key)));
      expect(results.map((r) => r.current)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(Number(await redis.get(`conc:${key}`))).toBe(50);
      await monitor.settle();
      // The first hit alone, then the 49 that queued behind it together (a third command when
      // Redis had to be sent the script itself).
      expect(scriptCalls(monitor, key)).toBeLessThanOrEqual(3);
    } finally {
      monitor.stop();
    }
  });

  it('keeps keys apart and names child stores like the plugin does', async () => {
    const Store = coalescingRedisStore(redis, 'rl:');
    const child = new Store().child({ routeInfo: { method: 'POST', url: '/login' } });
    const key = randomUUID();
    await Promise.all([hit(child, key), hit(child, key), hit(new Store(), key)]);
    expect(await redis.get(`rl:POST/login-${key}`)).toBe('2');
    expect(await redis.get(`rl:${key}`)).toBe('1');
  });

  it('fails every hit of a batch when Redis fails, and recovers for the next ones', async () => {
    const broken = new Redis(inject('redisUrl'), {
      lazyConnect: true,
      enableOfflineQueue: false,
      keyPrefix: `${inject('redisPrefix')}rls:`,
    });
    const Store = coalescingRedisStore(broken, 'err:');
    const store = new Store();
    const key = randomUUID();
    const failing = await Promise.allSettled([hit(store, key), hit(store, key), hit(store, key)]);
    expect(failing.every((r) => r.status === 'rejected')).toBe(true);
    // The first command started the lazy connection; wait until it is up.
    if (broken.status === 'wait') await broken.connect();
    else if (broken.status !== 'ready') await new Promise((resolve) => broken.once('ready', resolve));
    try {
      expect((await hit(store, key)).current).toBe(1);
    } finally {
      broken.disconnect();
    }
  });
});

describe('coalescingRedisStore with local counting (batch > 1)', () => {
  type Store = {
    incr(key: string, cb: (err: Error | null, result?: Result) => void, timeWindow: number, max?: number): void;
  };
  const hitMax = (store: Store, key: string, max: number) =>
    new Promise<Result>((resolve, reject) =>
      store.incr(key, (err, result) => (err ? reject(err) : resolve(result!)), 60_000, max),
    );

  it('answers hits far from the limit without a command each, and Redis sees them within syncMs', async () => {
    const Store = coalescingRedisStore(redis, 'local:', { batch: 10, syncMs: 50 });
    const store = new Store();
    const key = randomUUID();
    const monitor = await monitorRedis(inject('redisUrl'));
    try {
      const counts = [];
      // One at a time, as sequential requests arrive: the first asks Redis (it opens the window).
      for (let i = 0; i < 30; i += 1) counts.push((await hitMax(store, key, 1_000)).current);
      expect(counts).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(Number(await redis.get(`local:${key}`))).toBe(30);
      // At most one command per batch of 10 (plus the first and the sync): not one per hit.
      await monitor.settle();
      expect(scriptCalls(monitor, key)).toBeLessThanOrEqual(6);
    } finally {
      monitor.stop();
    }
  });

  it('syncs in the async context it was created in, not in that of the hit that scheduled it', async () => {
    // A request's hit runs in the request's context (with tracing on, its trace); the sync runs
    // after the request has answered and is nobody's request.
    const requests = new AsyncLocalStorage<string>();
    const Store = coalescingRedisStore(redis, 'context:', { batch: 10, syncMs: 20 });
    const store = new Store();
    const key = randomUUID();
    const client = redis as Redis & { rateLimitBatch: (...args: unknown[]) => Promise<unknown> };
    const send = client.rateLimitBatch;
    const contexts: Array<string | undefined> = [];
    // Observes each command's context and sends it on to Redis unchanged.
    client.rateLimitBatch = function (this: Redis, ...args: unknown[]) {
      contexts.push(requests.getStore());
      return send.apply(this, args);
    };
    try {
      // The first hit opens the window in Redis and waits for it; the second is counted here.
      await requests.run('first request', () => hitMax(store, key, 1_000));
      await requests.run('second request', () => hitMax(store, key, 1_000));
      await vi.waitFor(async () => expect(Number(await redis.get(`context:${key}`))).toBe(2));
      expect(contexts).toEqual(['first request', undefined]);
    } finally {
      client.rateLimitBatch = send;
    }
  });

  it('counts exactly near the limit: one instance never admits more than max', async () => {
    const Store = coalescingRedisStore(redis, 'near:', { batch: 5, syncMs: 50 });
    const store = new Store();
    const key = randomUUID();
    const counts = [];
    for (let i = 0; i < 25; i += 1) counts.push((await hitMax(store, key, 20)).current);
    expect(counts).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(counts.filter((current) => current <= 20)).toHaveLength(20);
    // The hits past max - batch each went to Redis: its count is already exact.
    expect(Number(await redis.get(`near:${key}`))).toBe(25);
  });

  it('two instances on one key admit at most max + batch (the documented (N - 1) × batch)', async () => {
    const batch = 5;
    const max = 40;
    const [A, B] = [
      coalescingRedisStore(redis, 'two:', { batch, syncMs: 50 }),
      coalescingRedisStore(redis, 'two:', { batch, syncMs: 50 }),
    ];
    const [a, b] = [new A(), new B()];
    const key = randomUUID();
    let admitted = 0;
    for (let i = 0; i < 60; i += 1) {
      const result = await hitMax(i % 2 === 0 ? a : b, key, max);
      if (result.current <= max) admitted += 1;
    }
    expect(admitted).toBeGreaterThanOrEqual(max);
    expect(admitted).toBeLessThanOrEqual(max + batch);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(Number(await redis.get(`two:${key}`))).toBe(60);
  });
});
