// A Redis store for @fastify/rate-limit that coalesces concurrent hits on one key into one
// command. The plugin's own store sends one Lua call per request; under load that round trip
// was the largest single cost of a cached read (tools/bench/results: 7.3k req/s against 9.8k with an
// in-memory store). Here the first hit on a key is sent at once, and the hits that arrive while
// it is in flight wait for it and then go together as one INCRBY n: each caller gets its own
// count (the total minus the hits after it in the batch), so the counts, the 429 decisions and
// the headers are exactly those of one INCR per request, in arrival order. A request alone on
// its key (every test, any quiet client) behaves as before: one command, no added wait.
//
// Local-first counting (`batch` > 1): far from the limit, a hit is answered from this instance's
// view of the count (Redis's count at the last reply, plus the hits answered here since) without
// a round trip, and those hits are sent to Redis as one INCRBY within `syncMs`, or with the
// hit that finds `batch` of them unsent. Near the limit (once the view reaches max - batch)
// every hit goes to Redis as above, so a 429 is always Redis's decision. The price, measured
// against a Redis round trip per request (README "Performance"): across N instances the limit
// may admit up to (N - 1) × batch requests more than `max` in a window (each other instance may
// hold that many hits Redis has not seen yet), and x-ratelimit-remaining far from the limit may
// overstate by as much. One instance counts exactly. `batch` = 1 is the exact store.
//
// Only the plugin's default policy is implemented (a fixed window from the first hit; neither
// `continueExceeding` nor `exponentialBackoff`), which is the one this app uses.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Redis } from 'ioredis';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

interface KeyState {
  /** Redis's count at the last reply (every instance's hits that reached it). */
  known: number;
  /** When the window ends (ms since the epoch); 0 before Redis first answered. */
  windowEnd: number;
  /** Hits answered here and not sent to Redis yet. */
  unsent: number;
  /** Hits in the command in flight. */
  inFlight: number;
  /** Hits waiting for the command in flight to come back, to be counted by Redis. */
  queued: Callback[];
  sending: boolean;
  /** The window of the hits (the plugin passes it with every hit; it does not vary). */
  timeWindow: number;
}

// KEYS[1] = counter; ARGV = window in ms, hits. Returns the count after these hits and the
// window's remaining time in ms. A counter without expiry (which this script never leaves
// behind, but an operator could) gets one, so it cannot block a client forever.
const INCREMENT = `
local hits = tonumber(ARGV[2])
local current = redis.call('INCRBY', KEYS[1], hits)
local ttl = redis.call('PTTL', KEYS[1])
if current == hits or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

type BatchRedis = Redis & {
  rateLimitBatch(key: string, timeWindow: number, hits: number): Promise<[number, number]>;
};

export interface LocalCounting {
  /** Most hits per key an instance answers before Redis has seen them; 1: every hit asks Redis. */
  batch: number;
  /** Longest time an answered hit waits to be sent to Redis. */
  syncMs: number;
}

const EXACT: LocalCounting = { batch: 1, syncMs: 0 };

/** The store class @fastify/rate-limit instantiates (`store` option), bound to `redis`. */
export function coalescingRedisStore(redis: Redis, prefix: string, counting: LocalCounting = EXACT) {
  if (!('rateLimitBatch' in redis)) redis.defineCommand('rateLimitBatch', { numberOfKeys: 1, lua: INCREMENT });
  const client = redis as BatchRedis;
  const batch = Math.max(1, counting.batch);
  // The sync is this instance's work, not a request's: nobody waits for it. Its timer runs in the
  // async context of start-up (taken here, as the plugin registers), not in that of the hit that
  // happened to schedule it, so its Redis call joins no request's trace (it showed there as a
  // span starting up to syncMs after the request had answered).
  const outsideRequests = AsyncLocalStorage.snapshot();

  class CoalescingRedisStore {
    private readonly keys = new Map<string, KeyState>();
    /** Keys with unsent hits, for the next sync. */
    private readonly unsentKeys = new Set<string>();
    private syncTimer: NodeJS.Timeout | undefined;
    private lastSweep = Date.now();

    constructor(
      _params?: unknown,
      private readonly keyPrefix = prefix,
    ) {}

    incr(key: string, callback: Callback, timeWindow: number, max = Number.POSITIVE_INFINITY): void {
      const now = Date.now();
      if (batch > 1 && now - this.lastSweep > timeWindow) this.sweep(now);
      let state = this.keys.get(key);
      // A window that ended: its unsent hits belonged to it, the next hit opens a new one in Redis.
      if (state && state.windowEnd <= now && state.windowEnd > 0 && !state.sending) {
        state = undefined;
        this.unsentKeys.delete(key);
      }
      if (!state) {
        state = { known: 0, windowEnd: 0, unsent: 0, inFlight: 0, queued: [], sending: false, timeWindow };
        this.keys.set(key, state);
      }
      state.timeWindow = timeWindow;
      const view = state.known + state.inFlight + state.unsent + 1;
      if (batch > 1 && state.windowEnd > now && state.unsent < batch - 1 && view <= max - batch) {
        state.unsent += 1;
        this.unsentKeys.add(key);
        callback(null, { current: view, ttl: state.windowEnd - now });
        this.scheduleSync();
        return;
      }
      state.queued.push(callback);
      if (!state.sending) this.send(key, state);
    }

    child(routeOptions: object): CoalescingRedisStore {
      // The plugin's naming of route (and createRateLimit) stores, kept so the keys do not move;
      // it passes its merged parameters, `routeInfo` among them (typed as route options).
      const { routeInfo } = routeOptions as { routeInfo?: { method?: string; url?: string } };
      return new CoalescingRedisStore(undefined, `${this.keyPrefix}${routeInfo?.method}${routeInfo?.url}-`);
    }

    /** One command for the queued hits and the unsent ones; the queued get Redis's counts. */
    private send(key: string, state: KeyState): void {
      const callbacks = state.queued;
      const unsent = state.unsent;
      state.queued = [];
      state.unsent = 0;
      this.unsentKeys.delete(key);
      state.inFlight = callbacks.length + unsent;
      state.sending = true;
      client.rateLimitBatch(this.keyPrefix + key, state.timeWindow, state.inFlight).then(
        ([current, ttl]) => {
          state.known = current;
          state.windowEnd = Date.now() + ttl;
          this.settled(key, state);
          // The queued hits came after the unsent ones: they are the batch's last, in arrival order.
          const first = current - callbacks.length;
          for (const [i, callback] of callbacks.entries()) callback(null, { current: first + i + 1, ttl });
        },
        (err: Error) => {
          // The unsent hits were answered already: they go with the next command.
          state.unsent += unsent;
          if (state.unsent > 0) this.unsentKeys.add(key);
          this.settled(key, state);
          for (const callback of callbacks) callback(err);
        },
      );
    }

    /** After a reply: what queued up meanwhile goes as one batch, or the key is left to the timer. */
    private settled(key: string, state: KeyState): void {
      state.sending = false;
      state.inFlight = 0;
      if (state.queued.length > 0) this.send(key, state);
      else if (state.unsent > 0) this.scheduleSync();
      else if (batch === 1) this.keys.delete(key);
    }

    /** Sends every key's unsent hits within syncMs. */
    private scheduleSync(): void {
      if (this.syncTimer) return;
      this.syncTimer = outsideRequests(() =>
        setTimeout(() => {
          this.syncTimer = undefined;
          for (const key of this.unsentKeys) {
            const state = this.keys.get(key);
            if (state && !state.sending && state.unsent > 0) this.send(key, state);
          }
        }, counting.syncMs),
      );
      // A pending sync must not keep a stopping process alive (hits not yet sent are lost then).
      this.syncTimer.unref();
    }

    /** Forgets the keys whose window is over (at most once per window, from a hit). */
    private sweep(now: number): void {
      this.lastSweep = now;
      for (const [key, state] of this.keys) {
        if (state.windowEnd <= now && !state.sending && state.queued.length === 0) {
          this.keys.delete(key);
          this.unsentKeys.delete(key);
        }
      }
    }
  }
  return CoalescingRedisStore;
}
