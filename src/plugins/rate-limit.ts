// Rate limits on the Redis store, so every instance behind the load balancer counts together.
//
// - Global: RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW, keyed by the user of a valid access
//   token, else by client IP; every response carries x-ratelimit-* headers. It runs first
//   (onRequest, before authentication), so failed logins and bad tokens count too.
// - Credentials (login, password reset): LOGIN_RATE_LIMIT_MAX attempts per window, keyed by
//   client IP plus the account name, so an attacker can neither brute-force one account nor
//   lock its owner out from elsewhere.
//
// When Redis is unreachable (commands fail at once: the client has no offline queue) or slower
// than REDIS_BUDGET_MS, the global limit fails OPEN (the API stays up; each instance is still
// shielded by under-pressure) and the credential limit fails CLOSED with 503 (no unlimited
// password guessing during an outage). After such a failure a circuit breaker skips Redis for
// REDIS_COOLDOWN_MS (then one request probes it), so a stalled Redis does not cost every request
// the full budget.
import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceUnavailableError, TooManyRequestsError } from '../lib/errors.js';
import { coalescingRedisStore } from '../lib/rate-limit-store.js';
import { redisCircuitBreaker } from '../lib/circuit-breaker.js';
import { bearerToken } from './auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A preHandler limiting attempts per client IP and subject (e.g. the username of a login).
     * `scope` separates the counters of different endpoints.
     */
    credentialRateLimit: (scope: string, subjectOf: (request: FastifyRequest) => string | undefined) => preHandlerAsyncHookHandler;
  }
}

/** How long a request waits for a rate-limit counter before degrading (see the header). */
export const REDIS_BUDGET_MS = 250;
/** How long the counters are skipped after a failure before one request probes Redis. */
export const REDIS_COOLDOWN_MS = 5_000;

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

export default fp(
  async (app) => {
    const { rateLimitMax, rateLimitWindow, loginRateLimitMax } = app.config;
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
      // The plugin's Redis store, but concurrent hits on one key share one command (same counts).
      store: coalescingRedisStore(app.redis, 'rl:'),
      max: rateLimitMax,
      timeWindow: windowMs,
      // Errors reach the hooks below, which decide: open for the global limit, closed for credentials.
      skipOnError: false,
      keyGenerator: globalKey,
      allowList: (request) => EXEMPT.test(request.url),
    });

    // One breaker for both limits: they share the connection, so either one's failure is news
    // for the other. The redis plugin logs connection errors, but a frozen Redis raises none.
    const breaker = redisCircuitBreaker(app.redis, {
      cooldownMs: REDIS_COOLDOWN_MS,
      onOpen: (err) => app.log.warn({ err }, 'rate limits unavailable (Redis): global limit open, credential attempts refused until it is back'),
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
        result = await breaker.call(() => globalCheck(request), REDIS_BUDGET_MS);
      } catch {
        return; // fail open; the breaker logged the outage once
      }
      if (result.isAllowed) return;
      reply.header('x-ratelimit-limit', result.max);
      reply.header('x-ratelimit-remaining', result.remaining);
      reply.header('x-ratelimit-reset', result.ttlInSeconds);
      if (result.isExceeded) throw new TooManyRequestsError(result.ttlInSeconds);
    });

    app.decorate('credentialRateLimit', (scope: string, subjectOf: (request: FastifyRequest) => string | undefined) => {
      // A child store of the plugin: its Redis keys read `rl:undefinedundefined-<scope>:...`
      // (the plugin names children after a route, and these have none); harmless.
      const check = app.createRateLimit({
        max: loginRateLimitMax,
        timeWindow: windowMs,
        skipOnError: false,
        keyGenerator: (request) => `${scope}:${clientIp(request)}:${digest(subjectOf(request) ?? '')}`,
      });
      return async (request) => {
        let result: Awaited<ReturnType<typeof check>>;
        try {
          result = await breaker.call(() => check(request), REDIS_BUDGET_MS);
        } catch (err) {
          // The outage itself was logged once by the breaker; this is the per-attempt trace.
          request.log.info({ err, scope }, 'credential rate limit unavailable (Redis); refusing the attempt');
          throw new ServiceUnavailableError('This is briefly unavailable, try again shortly');
        }
        if (!result.isAllowed && result.isExceeded) {
          throw new TooManyRequestsError(result.ttlInSeconds, 'Too many attempts; wait before trying again');
        }
      };
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'jwt'] },
);
