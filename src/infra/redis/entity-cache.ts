// Cache-aside for read-mostly entities (items), in Redis so that every api instance shares it.
// PostgreSQL stays the source of truth: the cache holds the serialized representation and its
// strong ETag for a short TTL, writes delete it, and when Redis is unreachable reads go straight
// to the database. Three races are handled:
// - a burst of misses for one key: the first load is shared by every request of this process
//   (single-flight), so the database sees one query per instance, not one per request;
// - a read that loaded old data before a write commits must not store it after the write's
//   invalidation: each key has a version that invalidation bumps, and the store is a Lua
//   compare-and-set on that version;
// - an invalidation that fails because Redis is down is remembered and replayed before this
//   instance trusts the cache again.
// A Redis that stalls (accepts connections, never answers) costs each call at most
// `timeoutMs`, and after one failure a circuit breaker skips Redis for `cooldownMs` before one
// request probes it again: reading from PostgreSQL is always correct, waiting on the cache is not.
//
// In front of Redis, each instance keeps a small in-process copy (`local`): a bounded LRU of
// `localMaxEntries` representations, each for at most `localTtlMs`. Why: a Redis GET per cached
// read was the largest single cost of the hot path (README "Performance"). Invalidation reaches
// the other instances over Redis pub/sub: the invalidation script itself PUBLISHes the id (one
// round trip, in the same atomic step as the DEL and the version bump), and every instance
// drops its copy when the message arrives. Staleness on another instance is bounded by the
// message's delivery (sub-millisecond here) and, should a message be lost (the subscriber
// reconnecting), by `localTtlMs`. The local copy is only used while this instance is subscribed
// and its command connection is up with nothing left to replay; otherwise reads take the Redis
// path above. A read whose load raced with an invalidation message does not keep its copy.
import type { Logger } from '../../lib/logger.js';
import { createHash } from 'node:crypto';
import { redisBreaker, type Breaker } from '../../lib/resilience.js';

/** The ioredis commands used here; keys get the client's keyPrefix. */
export interface CacheRedis {
  status: string;
  on(event: 'ready', listener: () => void): unknown;
  get(key: string): Promise<string | null>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface CachedRepresentation {
  /** The JSON body, byte for byte what is sent. */
  body: string;
  /** Strong ETag of `body`. */
  etag: string;
}

export interface CacheRead extends CachedRepresentation {
  hit: boolean;
}

/** Where invalidations arrive from the other instances (the realtime hub's subscriber). */
export interface InvalidationBus {
  /** Resolves once subscribed; `listener` gets each message's bytes. */
  subscribe(channel: string, listener: (message: Buffer) => void): Promise<() => void>;
}

export interface LocalCacheOptions {
  bus: InvalidationBus;
  /** The full channel name (with the app's Redis prefix: channels are not prefixed by the client). */
  channel: string;
  /** How long an instance may serve its copy without asking Redis; 0 turns the local copy off. */
  ttlMs: number;
  /** Most representations held per instance; the least recently read go first. */
  maxEntries?: number;
}

export interface EntityCacheOptions {
  redis: CacheRedis;
  /** Key namespace, e.g. `items`: keys are `cache:items:<id>` and `cache:items:<id>:v`. */
  namespace: string;
  ttlSeconds: number;
  log: Logger;
  /** Longest wait on one Redis call before reading from the database instead. */
  timeoutMs?: number;
  /** How long Redis is skipped after a failure before one request probes it. */
  cooldownMs?: number;
  /** The in-process copy in front of Redis; without it every read asks Redis. */
  local?: LocalCacheOptions;
}

const DEFAULT_LOCAL_MAX_ENTRIES = 10_000;

const DEFAULT_TIMEOUT_MS = 250;
const DEFAULT_COOLDOWN_MS = 5_000;

// KEYS[1] = value, KEYS[2] = version; ARGV = expected version, body, ttl.
const STORE_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[2]) or '0'
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

// KEYS[1] = value, KEYS[2] = version; ARGV = version lifetime, channel, id. The version outlives
// any load in flight by far; when it finally expires, counting restarts from 0, which is
// harmless. With a channel, the id is published to the instances' local copies.
const INVALIDATE = `
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

const VERSION_TTL_SECONDS = 24 * 3600;

export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored, `*` matches. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const candidate = tag.trim().replace(/^W\//, '');
    return candidate === '*' || candidate === etag;
  });
}

interface LocalEntry extends CachedRepresentation {
  expiresAt: number;
}

export class EntityCache {
  private readonly inFlight = new Map<string, Promise<CachedRepresentation>>();
  private readonly pendingInvalidations = new Set<string>();
  private readonly breaker: Breaker;
  /** The in-process copies, least recently read first (a Map keeps insertion order). */
  private readonly local = new Map<string, LocalEntry>();
  /** Whether the invalidation channel is subscribed: without it the copies could go stale. */
  private subscribed = false;
  private subscribing = false;
  /** Ends the subscription (set once subscribed); see close(). */
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** Counts invalidations seen here: a read that began under another count keeps no copy. */
  private invalidations = 0;

  constructor(private readonly options: EntityCacheOptions) {
    const { namespace, log } = options;
    this.subscribeLocal();
    this.breaker = redisBreaker(options.redis, {
      budgetMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      cooldownMs: options.cooldownMs ?? DEFAULT_COOLDOWN_MS,
      onOpen: (err) =>
        log.warn({ err }, `${namespace} cache: redis unavailable, reading from the database until it is back`),
      onClose: () => log.info(`${namespace} cache: redis is back, cache in use again`),
    });
  }

  /** The cached representation of `id`, or `load()` serialized (and cached) on a miss. */
  async read(id: string | number, load: () => Promise<unknown>): Promise<CacheRead> {
    const key = String(id);
    const localOn = this.localUsable();
    if (localOn) {
      const entry = this.local.get(key);
      if (entry && entry.expiresAt > Date.now()) {
        // Most recently read: to the end of the Map, the last to be evicted.
        this.local.delete(key);
        this.local.set(key, entry);
        return { body: entry.body, etag: entry.etag, hit: true };
      }
    }
    const seen = this.invalidations;
    if (await this.usable()) {
      const cached = await this.attempt(() => this.options.redis.get(this.valueKey(key)));
      if (cached) {
        const representation = { body: cached, etag: strongEtag(cached) };
        if (localOn) this.keepLocal(key, representation, seen);
        return { ...representation, hit: true };
      }
    }
    let shared = this.inFlight.get(key);
    if (!shared) {
      shared = this.loadAndStore(key, load).finally(() => {
        if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
      });
      this.inFlight.set(key, shared);
    }
    const loaded = await shared;
    if (localOn) this.keepLocal(key, loaded, seen);
    return { ...loaded, hit: false };
  }

  /** Stops listening for invalidations and forgets the copies (the app is closing). */
  close(): void {
    this.closed = true;
    this.subscribed = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.local.clear();
  }

  /** Drops `id` for every instance. Never throws: a write must not fail because of the cache. */
  async invalidate(id: string | number): Promise<void> {
    const key = String(id);
    this.dropLocal(key);
    // A load started before this write may hold old data: later readers must not join it.
    this.inFlight.delete(key);
    this.pendingInvalidations.add(key);
    await this.flushInvalidations();
  }

  private async loadAndStore(key: string, load: () => Promise<unknown>): Promise<CachedRepresentation> {
    const ready = await this.usable();
    const version = ready ? await this.attempt(() => this.options.redis.get(this.versionKey(key))) : undefined;
    const body = JSON.stringify(await load());
    if (ready && version !== undefined) {
      const { redis, ttlSeconds } = this.options;
      await this.attempt(() =>
        redis.eval(STORE_IF_UNCHANGED, 2, this.valueKey(key), this.versionKey(key), version ?? '0', body, ttlSeconds),
      );
    }
    return { body, etag: strongEtag(body) };
  }

  /** Whether Redis may be used now: connected, and no invalidation of ours left to replay. */
  private async usable(): Promise<boolean> {
    return this.connected() && this.flushInvalidations();
  }

  private async flushInvalidations(): Promise<boolean> {
    for (const key of [...this.pendingInvalidations]) {
      if (!this.connected()) return false;
      const channel = this.options.local?.channel ?? '';
      const done = await this.attempt(() =>
        this.options.redis.eval(
          INVALIDATE,
          2,
          this.valueKey(key),
          this.versionKey(key),
          VERSION_TTL_SECONDS,
          channel,
          key,
        ),
      );
      if (done === undefined) return false;
      this.pendingInvalidations.delete(key);
    }
    return true;
  }

  /** Subscribes to the invalidations (again, at most every cooldownMs, after a failure). */
  private subscribeLocal(): void {
    const { local, log, namespace } = this.options;
    if (!local || local.ttlMs <= 0 || this.subscribing || this.closed) return;
    this.subscribing = true;
    local.bus
      .subscribe(local.channel, (message) => this.dropLocal(message.toString()))
      .then(
        (unsubscribe) => {
          if (this.closed) return unsubscribe();
          this.unsubscribe = unsubscribe;
          this.subscribed = true;
        },
        (err: unknown) => {
          // Meanwhile the local copy stays off; Redis alone serves every read.
          log.warn({ err }, `${namespace} cache: invalidation channel unavailable, no local copy until it is`);
          setTimeout(() => {
            this.subscribing = false;
          }, this.options.cooldownMs ?? DEFAULT_COOLDOWN_MS).unref();
        },
      );
  }

  /** Whether the local copy may answer: subscribed, Redis up, no invalidation of ours pending. */
  private localUsable(): boolean {
    if (!this.subscribed) {
      this.subscribeLocal();
      return false;
    }
    return this.options.redis.status === 'ready' && !this.breaker.isOpen && this.pendingInvalidations.size === 0;
  }

  /** Keeps a copy, unless an invalidation arrived since the read began (it may be older). */
  private keepLocal(key: string, representation: CachedRepresentation, seenInvalidations: number): void {
    if (seenInvalidations !== this.invalidations) return;
    const { ttlMs = 0, maxEntries = DEFAULT_LOCAL_MAX_ENTRIES } = this.options.local ?? {};
    this.local.delete(key);
    this.local.set(key, { ...representation, expiresAt: Date.now() + ttlMs });
    if (this.local.size > maxEntries) {
      const oldest = this.local.keys().next();
      if (!oldest.done) this.local.delete(oldest.value);
    }
  }

  private dropLocal(key: string): void {
    this.invalidations += 1;
    this.local.delete(key);
  }

  /**
   * The client's own view, which costs nothing to ask: without an offline queue a command on a
   * connection that is not ready fails anyway. A frozen server keeps its connection `ready`;
   * the timeouts and the breaker cover that case.
   */
  private connected(): boolean {
    const { status } = this.options.redis;
    if (status === 'ready') return true;
    // A failed call for the breaker: it logs the outage once and probes after the reconnection.
    void this.attempt(() => Promise.reject(new Error(`redis connection is ${status}`)));
    return false;
  }

  /** Runs a bounded Redis command unless the breaker is open; undefined when skipped or failed. */
  private async attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.breaker.execute(command);
    } catch {
      // Logged by the breaker, once per outage.
      return undefined;
    }
  }

  private valueKey(key: string): string {
    return `cache:${this.options.namespace}:${key}`;
  }

  private versionKey(key: string): string {
    return `cache:${this.options.namespace}:${key}:v`;
  }
}
