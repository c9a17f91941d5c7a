// Cross-cutting HTTP middleware of the notes: security headers, CORS allowlist, compression,
// and load shedding when the event loop is saturated.
import type { IncomingMessage, ServerResponse } from 'node:http';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import { ServiceUnavailableError } from '../lib/errors.js';

const LIVENESS_URL = '/health/live';

/**
 * The headers helmet sets with these options, computed once. They are the same for every
 * response (no CSP nonces), and @fastify/helmet would rebuild helmet's middleware, re-parsing
 * every CSP directive, on each request (measured: a cached item read went from 5300 to 7800
 * req/s without that, tools/bench/results/fixes.json).
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => {}, // X-Powered-By: Fastify never sets it
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}

export default fp(
  async (app) => {
    const headers = securityHeaders({
      contentSecurityPolicy: {
        directives: {
          // The documentation pages (Swagger UI, Scalar) bootstrap with inline scripts and styles;
          // API responses are JSON and are not affected by these relaxations.
          scriptSrc: ["'self'", "'unsafe-inline'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'https:'],
          connectSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      // The API is called cross-origin by allowed front-ends (CORS below decides who).
      crossOriginResourcePolicy: { policy: 'same-site' },
      hsts: app.config.nodeEnv === 'production',
    });
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });

    const allowed = new Set(app.config.corsOrigins);
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin === undefined || allowed.has(origin) || allowed.has('*')),
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      exposedHeaders: [
        'x-request-id',
        'x-response-time',
        'location',
        'etag',
        'x-cache',
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'content-disposition',
        'content-range',
        'accept-ranges',
      ],
      maxAge: 600,
    });

    await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip', 'deflate'] });

    // The lag measured while the app starts (schema compilation and other synchronous work:
    // seconds on a busy host) is its own start-up, not overload; a value read within two sample
    // intervals of ready may still include it. Without this the first requests after a start,
    // readiness included, could be shed.
    let servingSince = Number.POSITIVE_INFINITY;
    app.addHook('onReady', async () => {
      servingSince = performance.now();
    });
    await app.register(underPressure, {
      maxEventLoopDelay: app.config.maxEventLoopDelay,
      sampleInterval: app.config.eventLoopSampleInterval,
      retryAfter: 5,
      pressureHandler: (request) => {
        // Liveness must keep answering under load: a 503 there makes the orchestrator restart
        // the overloaded pods, which moves their load onto the others (a cascading failure).
        // Readiness may fail: leaving the load balancer for a moment is the point.
        if (request.routeOptions.url === LIVENESS_URL) return;
        if (performance.now() - servingSince < 2 * app.config.eventLoopSampleInterval) return;
        throw new ServiceUnavailableError('The server is overloaded, try again shortly');
      },
    });
  },
  { name: 'http-hardening', dependencies: ['config'] },
);
