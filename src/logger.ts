// pino options: JSON lines in production and tests, pretty output in development, and secrets
// redacted wherever they could appear (headers, bodies, errors).
import type { LoggerOptions } from 'pino';
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

const LEVEL_VALUES: Record<Config['logLevel'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * A route's log level that is at least `level` and never louder than the configured one:
 * probes and docs log only warnings, and LOG_LEVEL=silent stays silent.
 */
export function quieterOf(level: Config['logLevel'], configured: Config['logLevel']): Config['logLevel'] {
  return LEVEL_VALUES[configured] > LEVEL_VALUES[level] ? configured : level;
}
