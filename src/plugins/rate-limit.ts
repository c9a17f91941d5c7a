// Rate limits on the Redis store, so every instance behind the load balancer counts together.
//
// - Global: RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW, keyed by the user of a valid access
//   token, else by client IP; every response carries x-ratelimit-* headers. It runs first
//   (onRequest, before authentication), so failed logins and bad tokens count too. Counted
//   locally first (RATE_LIMIT_BATCH hits per key, synced within GLOBAL_SYNC_MS) and exactly
//   near the limit: across N instances it may admit (N - 1) × RATE_LIMIT_BATCH more.
// - Credentials: the ONE limit for everything that checks a password or a secret (login, HTTP
//   Basic on /metrics and /admin/queues, `currentPassword`, password-reset confirm, API keys),
//   plus sign-up and reset requests. LOGIN_RATE_LIMIT_MAX attempts per window, keyed by client
//   IP plus the identity tried (username, user id, key prefix), so an attacker can neither
//   brute-force one account nor lock its owner out from elsewhere. `app.credentialRateLimit`
//   works from routes, hooks and plugins alike (see CredentialRateLimit below). Always exact:
//   every attempt is one Redis command (infra/redis/attempt-counter.ts).
//
// When Redis is unreachable (commands fail at once: the client has no offline queue) or slower
// than REDIS_BUDGET_MS, the global limit fails OPEN (the API stays up; each instance is still
// shielded by under-pressure) and credential checks fail CLOSED with 503 unless the caller
// chose otherwise (no unlimited password guessing during an outage). After such a failure a
// circuit breaker skips Redis for REDIS_COOLDOWN_MS (then one request probes it), so a stalled
// Redis does not cost every request the full budget.
//
// One file (about 250 lines) because both limits share the store, the breaker and the outage
// policy above; split, each half would need the other's.
import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { AttemptCounter, type AttemptVerdict } from '../infra/redis/attempt-counter.js';
import { AppError, ServiceUnavailableError, TooManyRequestsError } from '../lib/errors.js';
import { coalescingRedisStore } from '../infra/redis/rate-limit-store.js';
import { redisBreaker } from '../lib/resilience.js';
import { bearerToken } from './auth.js';

/** Which counter an attempt goes to: per client IP, scope and subject. */
export interface CredentialKey {
  /** One per kind of check, e.g. `login`, `metrics`, `api-key`: their counters never mix. */
  scope: string;
  /** The identity tried (username, user id, key prefix); hashed in the Redis key. None: per IP only. */
  subject?: string | number;
}

export interface CredentialCheckOptions<T> {
  /**
   * With Redis unreachable: `refuse` (503, the default: no unlimited guessing during an
   * outage) or `allow` (the check runs uncounted; for secrets that cannot be guessed anyway and
   * callers that must keep working, such as API keys and the metrics scraper).
   */
  whenUnavailable?: 'refuse' | 'allow';
  /**
   * `reserve` (default): each attempt takes a slot before the check and a successful check
   * gives it back, so parallel guesses cannot all slip past a count of zero. `failures`: the
   * budget is only read before the check and a failure counted after it: one Redis command
   * for a good secret (API keys on every request), at the price of that race.
   */
  counting?: 'reserve' | 'failures';
  /** A resolved value that means "wrong secret" (default: none; a 400 or 401 error always is). */
  failed?: (outcome: T) => boolean;
}

export interface CredentialRateLimit {
  /**
   * Runs `verify` (a password or secret check) within the limit: 429 with Retry-After once
   * the key has used LOGIN_RATE_LIMIT_MAX failed attempts in the window, before `verify`
   * runs. A check that throws a 400 or 401 error, or whose outcome `failed` says so, uses up an
   * attempt; any other outcome gives it back.
   */
  check<T>(
    request: FastifyRequest,
    key: CredentialKey,
    verify: () => Promise<T>,
    options?: CredentialCheckOptions<T>,
  ): Promise<T>;
  /** A route hook that counts every request as an attempt (sign-up, reset requests), successful or not. */
  everyRequest(
    keyOf: (request: FastifyRequest) => CredentialKey,
    options?: Pick<CredentialCheckOptions<unknown>, 'whenUnavailable'>,
  ): preHandlerAsyncHookHandler;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The per-IP+identity limit of every password and secret check; see CredentialRateLimit. */
    credentialRateLimit: CredentialRateLimit;
  }
}

/** How long a request waits for a rate-limit counter before degrading (see the header). */
export const REDIS_BUDGET_MS = 250;
/** How long the counters are skipped after a failure before one request probes Redis. */
export const REDIS_COOLDOWN_MS = 5_000;

/** Longest time a hit counted by this instance waits before Redis (and the other instances) see it. */
export const GLOBAL_SYNC_MS = 100;

/** Paths that must never be throttled: probes and the metrics scraper. */
const EXEMPT = /^\/(health|metrics)(\/|$|\?)/;

/**
 * The client address Fastify resolved (X-Forwarded-For only from TRUST_PROXY addresses).
 * WebSocket injection and some upgrade paths leave `request.ip` unset: fall back to the socket.
 */
export function clientIp(request: FastifyRequest): string {
  const ip = request.ip ?? request.socket?.remoteAddress;
  return ip ? normalizeIP(ip) : 'unknown';
}

/** Short, stable and free of personal data (Redis keys are visible to operators). */
function digest(value: string): string {
  return createHash('sha256').update(value.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

export interface RateLimitOptions {
  /** The app's command connection: counters are shared by every instance. */
  redis: Redis;
}

export default fp<RateLimitOptions>(
  async (app, { redis }) => {
    const { rateLimitMax, rateLimitWindow, rateLimitBatch, loginRateLimitMax } = app.config;
    const windowMs = rateLimitWindow * 1000;

    const globalKey = (request: FastifyRequest): string => {
      const token = bearerToken(request);
      if (token) {
        try {
          // Signature check only (an HMAC, no I/O): a forged `sub` must not open a fresh bucket.
          const claims = app.jwt.verify<{ sub?: unknown; typ?: unknown }>(token);
          if (claims.typ === 'access' && typeof claims.sub === 'string') return `user:${claims.sub}`;
        } catch {
          // An invalid token counts against the client's address.
        }
      }
      return `ip:${clientIp(request)}`;
    };

    await app.register(rateLimit, {
      global: false,
      // The plugin's Redis store, but concurrent hits on one key share one command, and far from
      // the limit up to RATE_LIMIT_BATCH hits per key are counted here and sent together within
      // GLOBAL_SYNC_MS (approximate across instances: infra/redis/rate-limit-store.ts).
      store: coalescingRedisStore(redis, 'rl:', { batch: rateLimitBatch, syncMs: GLOBAL_SYNC_MS }),
      max: rateLimitMax,
      timeWindow: windowMs,
      // Errors reach the hooks below, which decide: open for the global limit, closed for credentials.
      skipOnError: false,
      keyGenerator: globalKey,
      allowList: (request) => EXEMPT.test(request.url),
    });

    // One breaker for both limits: they share the connection, so either one's failure is news
    // for the other. The redis plugin logs connection errors, but a frozen Redis raises none.
    const breaker = redisBreaker(redis, {
      budgetMs: REDIS_BUDGET_MS,
      cooldownMs: REDIS_COOLDOWN_MS,
      onOpen: (err) =>
        app.log.warn(
          { err },
          'rate limits unavailable (Redis): global limit open, credential attempts refused until it is back',
        ),
      onClose: () => app.log.info('rate limits available again'),
    });

    // The plugin's own hook would wait as long as the Redis client does (up to its 1 s command
    // timeout) and send made-up headers when it skips; this one bounds the wait and says nothing
    // it does not know.
    const globalCheck = app.createRateLimit();
    app.addHook('onRequest', async (request, reply) => {
      // The plugin's allowList would answer these without Redis, which the breaker would take
      // for a sign of health (probes come every few seconds).
      if (EXEMPT.test(request.url)) return;
      let result: Awaited<ReturnType<typeof globalCheck>>;
      try {
        result = await breaker.execute(() => globalCheck(request));
      } catch {
        return; // fail open; the breaker logged the outage once
      }
      if (result.isAllowed) return;
      reply.header('x-ratelimit-limit', result.max);
      reply.header('x-ratelimit-remaining', result.remaining);
      reply.header('x-ratelimit-reset', result.ttlInSeconds);
      if (result.isExceeded) throw new TooManyRequestsError(result.ttlInSeconds);
    });

    // Plain counters rather than the plugin's: a failed attempt must be counted after the check
    // (and a good one given back), which its increment-only hook cannot do.
    const attempts = new AttemptCounter(redis, { max: loginRateLimitMax, windowMs, keyPrefix: 'rl:cred:' });
    const counterKey = (request: FastifyRequest, key: CredentialKey): string =>
      `${key.scope}:${clientIp(request)}:${digest(String(key.subject ?? ''))}`;
    const tooMany = (verdict: AttemptVerdict) =>
      new TooManyRequestsError(Math.ceil(verdict.resetMs / 1000), 'Too many attempts; wait before trying again');

    /** Asks Redis within the budget; undefined when it cannot answer and the caller allows that. */
    const ask = async (
      request: FastifyRequest,
      scope: string,
      whenUnavailable: 'refuse' | 'allow',
      work: () => Promise<AttemptVerdict>,
    ) => {
      try {
        return await breaker.execute(work);
      } catch (err) {
        if (whenUnavailable === 'allow') return undefined;
        // The outage itself was logged once by the breaker; this is the per-attempt trace.
        request.log.info({ err, scope }, 'credential rate limit unavailable (Redis); refusing the attempt');
        throw new ServiceUnavailableError('This is briefly unavailable, try again shortly');
      }
    };

    /** Counter updates after the check: bounded, and their failure never changes the answer. */
    const settle = async (request: FastifyRequest, scope: string, work: () => Promise<void>) => {
      try {
        await breaker.execute(work);
      } catch (err) {
        request.log.debug({ err, scope }, 'credential attempt not recorded (Redis)');
      }
    };

    const isFailedCheck = (err: unknown) => err instanceof AppError && (err.status === 400 || err.status === 401);

    const credentialRateLimit: CredentialRateLimit = {
      async check<T>(
        request: FastifyRequest,
        key: CredentialKey,
        verify: () => Promise<T>,
        options: CredentialCheckOptions<T> = {},
      ) {
        const { whenUnavailable = 'refuse', counting = 'reserve', failed = () => false } = options;
        const id = counterKey(request, key);
        const verdict = await ask(request, key.scope, whenUnavailable, () =>
          counting === 'reserve' ? attempts.take(id) : attempts.peek(id),
        );
        if (verdict && !verdict.allowed) throw tooMany(verdict);

        let result: { outcome: T } | { error: unknown };
        try {
          result = { outcome: await verify() };
        } catch (error) {
          result = { error };
        }
        const failure = 'error' in result ? isFailedCheck(result.error) : failed(result.outcome);
        // Nothing to settle when Redis could not count the attempt in the first place.
        if (verdict) {
          if (counting === 'reserve' && !failure) await settle(request, key.scope, () => attempts.giveBack(id));
          if (counting === 'failures' && failure) await settle(request, key.scope, () => attempts.hit(id));
        }
        if ('error' in result) throw result.error;
        return result.outcome;
      },

      everyRequest(keyOf, options = {}) {
        const { whenUnavailable = 'refuse' } = options;
        return async (request) => {
          const key = keyOf(request);
          const verdict = await ask(request, key.scope, whenUnavailable, () => attempts.take(counterKey(request, key)));
          if (verdict && !verdict.allowed) throw tooMany(verdict);
        };
      },
    };
    app.decorate('credentialRateLimit', credentialRateLimit);
  },
  { name: 'rate-limit', dependencies: ['config', 'jwt'] },
);
