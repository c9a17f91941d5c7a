// Prometheus metrics at GET /metrics behind HTTP Basic (METRICS_USERNAME / METRICS_PASSWORD).
// Each app has its own registry (tests build many apps in one process); other plugins add
// their metrics to `app.metrics.registry`. Requests are labelled by route PATTERN, never by
// raw URL, so ids in paths cannot blow up the number of series.
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { UnauthorizedError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry };
  }
}

/** Label for requests that matched no route (404s, scanners): one series, not one per URL. */
const UNMATCHED = 'unmatched';

/** Constant time whatever the lengths: compare fixed-size digests. */
function safeEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Parses `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });

    const labelNames = ['method', 'route', 'status_code'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route pattern, method and status',
      labelNames,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });

    // Representation cache lookups (item reads answer `x-cache: HIT|MISS`): the hit ratio is
    // hits / (hits + misses) per route.
    const cacheLookups = new Counter({
      name: 'http_cache_lookups_total',
      help: 'Responses served from the representation cache (result=hit) or loaded (result=miss), by route pattern',
      labelNames: ['route', 'result'],
      registers: [registry],
    });

    app.decorate('metrics', { registry });

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? UNMATCHED;
      if (route === '/metrics') return;
      const labels = {
        method: request.method,
        route: reply.statusCode === 404 && !request.routeOptions.url ? UNMATCHED : route,
        status_code: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      const cache = reply.getHeader('x-cache');
      if (cache === 'HIT' || cache === 'MISS') cacheLookups.inc({ route, result: cache === 'HIT' ? 'hit' : 'miss' });
    });

    const { metricsUsername, metricsPassword } = app.config;
    app.get(
      '/metrics',
      {
        schema: { hide: true },
        onRequest: async (request) => {
          const credentials = basicCredentials(request.headers.authorization);
          const refuse = () =>
            new UnauthorizedError('Metrics need HTTP Basic credentials', 'Basic realm="metrics", charset="UTF-8"');
          // No credentials is a challenge, not a guess: nothing to count.
          if (!credentials) throw refuse();
          // Wrong passwords are limited per client and username like every credential check
          // (the rate-limit plugin registers later; its decorator exists by the first request).
          // With Redis down the scraper keeps working: metrics matter most during an outage.
          await app.credentialRateLimit.check(
            request,
            { scope: 'metrics', subject: credentials.username },
            async () => {
              // Evaluate both comparisons every time: no early exit that tells which part was wrong.
              const userOk = safeEqual(credentials.username, metricsUsername);
              const passwordOk = safeEqual(credentials.password, metricsPassword);
              if (!userOk || !passwordOk) throw refuse();
            },
            { whenUnavailable: 'allow' },
          );
        },
      },
      async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'metrics', dependencies: ['config'] },
);
