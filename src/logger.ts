// pino options: JSON lines in production and tests, pretty output in development, and secrets
// redacted wherever they could appear (headers, bodies, errors).
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.apiKey',
  '*.key',
];

/** Query parameters that carry credentials (WebSocket clients send `?token=`): kept out of logs. */
const SECRET_QUERY = /([?&](?:token|access_token|api_key)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

export function loggerOptions(config: Pick<Config, 'logLevel' | 'nodeEnv'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's request serializer, with credentials removed from the URL.
      // Anything may be logged under `req`, not only a FastifyRequest: read it defensively.
      req: (request: { method?: string; url?: unknown; headers?: Record<string, unknown>; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: request.method,
        url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
        version: request.headers?.['accept-version'],
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    ...(config.nodeEnv === 'development'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/**
 * The logger options with their destination: `stream` when given (tests capture lines), the
 * pretty transport in development, else stdout written synchronously. pino's default stdout
 * stream hands every line to libuv's thread pool (an asynchronous fs.write); measured on a
 * cached item read, a plain write(2) per line is cheaper (bench/results: +8 %), and no line
 * can be lost in a buffer when the process dies. (Batching lines, 4 KB per write, measured no
 * better.) As with any synchronous log, a stdout that stops reading stalls the process.
 */
export function loggerSetup(config: Pick<Config, 'logLevel' | 'nodeEnv'>, stream?: { write(line: string): void }): LoggerOptions & { stream?: { write(line: string): void } } {
  const options = loggerOptions(config);
  if (stream) return { ...options, stream };
  if (options.transport || config.logLevel === 'silent') return options;
  return { ...options, stream: pino.destination({ dest: 1, sync: true }) };
}

/**
 * One access-log line per request at `info`: "request completed" (or "request errored") with
 * the request (method, url, address), the status and the response time, under the request's
 * `requestId`. Fastify's own "incoming request" line moves to `debug` (except for upgrades): at
 * `info` it doubled the cost of logging, the largest single cost of a cached read
 * (bench/results), and said nothing the completion line does not, except for requests still in
 * flight (LOG_LEVEL=debug shows them).
 */
export class AccessLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    // An upgrade (WebSocket) hands the socket over and never completes in Fastify's sense:
    // its incoming line is its only line, so it stays at info.
    if (request.headers.upgrade) request.log.info({ req: request }, 'incoming request');
    else request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

const LEVEL_VALUES: Record<Config['logLevel'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * A route's log level that is at least `level` and never louder than the configured one:
 * probes and docs log only warnings, and LOG_LEVEL=silent stays silent.
 */
export function quieterOf(level: Config['logLevel'], configured: Config['logLevel']): Config['logLevel'] {
  return LEVEL_VALUES[configured] > LEVEL_VALUES[level] ? configured : level;
}
