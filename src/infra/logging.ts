// pino options: JSON lines in production and tests, one line per event in development, and secrets
// redacted wherever they could appear (headers, bodies, errors). The redaction lists, the
// access-log controller and the development format are read together when auditing what a log
// line can hold, hence one file of about 230 lines.
import { createRequire } from 'node:module';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Config } from '../config.js';
import { traceLogMixin } from './telemetry/hooks.js';

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

/**
 * Query parameters that carry credentials (`?token=` and `?ticket=` of WebSocket clients, reset
 * links, OAuth-style names): their values never reach a log line. Matched by *decoded* name,
 * case-insensitively, so `?%74oken=` or `?TOKEN=` (which a server or browser may read as
 * `token`) are redacted too.
 */
export const SECRET_QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'ticket',
  'api_key',
  'apikey',
  'x-api-key',
  'key',
  'password',
  'secret',
  'client_secret',
  'code',
  'signature',
  'sig',
]);

/** A name decoded up to three times (a double-encoded name is still caught), lenient on bad escapes. */
function decodedNames(name: string): string[] {
  const names = [name];
  let current = name;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    const plus = current.replace(/\+/g, ' ');
    let next: string;
    try {
      next = decodeURIComponent(plus);
    } catch {
      next = plus.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    }
    if (next === current) break;
    names.push(next);
    current = next;
  }
  if (name.includes('+')) names.push(name.replace(/\+/g, ' '));
  return names;
}

function isSecretParameter(name: string): boolean {
  return decodedNames(name).some((candidate) =>
    SECRET_QUERY_PARAMETERS.has(
      candidate
        .trim()
        .toLowerCase()
        .replace(/\[[^\]]*\]$/, ''),
    ),
  );
}

/**
 * One `&`-separated part of a query string, redacted from the first secret parameter on. A `;`
 * (which some parsers take as a separator) or a `#` must not hide a parameter after it, and a
 * secret value containing them is cut entirely.
 */
function redactPart(pair: string): string {
  const pieces = pair.split(/(?=[;#])/);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const body = i === 0 ? piece : piece.slice(1);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (isSecretParameter(name)) return `${pieces.slice(0, i).join('')}${i === 0 ? '' : piece[0]}${name}=[redacted]`;
  }
  return pair;
}

/** The URL with the value of every secret-bearing query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  return `${url.slice(0, start + 1)}${url
    .slice(start + 1)
    .split('&')
    .map(redactPart)
    .join('&')}`;
}

export function loggerOptions(config: Pick<Config, 'logLevel' | 'nodeEnv'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // trace_id and span_id on lines logged inside a traced request or job; unset without tracing.
    mixin: traceLogMixin(),
    serializers: {
      // Fastify's request serializer, with credentials removed from the URL.
      // Anything may be logged under `req`, not only a FastifyRequest: read it defensively.
      req: (request: {
        method?: string;
        url?: unknown;
        headers?: Record<string, unknown>;
        host?: string;
        ip?: string;
        socket?: { remotePort?: number };
      }) => ({
        method: request.method,
        url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
        version: request.headers?.['accept-version'],
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}

/**
 * The logger options with their destination: `stream` when given (tests capture lines), the
 * one-line development format in development, else stdout written synchronously. pino's
 * default stdout stream hands every line to libuv's thread pool (an asynchronous fs.write);
 * measured on a cached item read, a plain write(2) per line is cheaper (tools/bench/results: +8 %),
 * and no line can be lost in a buffer when the process dies. (Batching lines, 4 KB per write,
 * measured no better.) As with any synchronous log, a stdout that stops reading stalls the process.
 */
export function loggerSetup(
  config: Pick<Config, 'logLevel' | 'nodeEnv'>,
  stream?: { write(line: string): void },
): LoggerOptions & { stream?: { write(line: string): void } } {
  const options = loggerOptions(config);
  if (stream) return { ...options, stream };
  if (config.logLevel === 'silent') return options;
  const stdout = pino.destination({ dest: 1, sync: true });
  if (config.nodeEnv !== 'development') return { ...options, stream: stdout };
  const prettify = developmentFormat();
  return { ...options, stream: { write: (line) => void stdout.write(prettify(line)) } };
}

/**
 * Development output (pino-pretty, loaded in development only): one line per request,
 * `GET /api/v1/items?limit=5 200 4.2 ms`, and per message, its other fields inline; an error
 * keeps its stack. The JSON lines of production say the same with every field. Formatted in
 * the process, not in a transport thread, so the last lines before an exit are never lost.
 */
export function developmentFormat(options: { colorize?: boolean } = {}): (line: string) => string {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty.prettyFactory({
    colorize: options.colorize ?? pretty.isColorSupported,
    translateTime: 'HH:MM:ss.l',
    // What the access line says in its message; the request id only matters across lines, and
    // `npm run dev` prefixes the worker's lines with its name.
    ignore: 'pid,hostname,req,res,responseTime,requestId,process',
    singleLine: true,
    messageFormat: (log, messageKey, _levelLabel, { colors }) => {
      const message = String(log[messageKey] ?? '');
      const req = log.req as { method?: string; url?: string } | undefined;
      const res = log.res as { statusCode?: number } | undefined;
      if (!req?.method) return message;
      // "incoming request" (debug, and WebSocket upgrades) has no response yet.
      if (typeof res?.statusCode !== 'number') return `${message}: ${req.method} ${req.url}`;
      const status = res.statusCode;
      const paint =
        status >= 500 ? colors.red : status >= 400 ? colors.yellow : status >= 300 ? colors.cyan : colors.green;
      const time = typeof log.responseTime === 'number' ? ` ${log.responseTime.toFixed(1)} ms` : '';
      return `${req.method} ${req.url} ${paint(String(status))}${time}`;
    },
  });
}

/**
 * One access-log line per request at `info`: "request completed" (or "request errored") with
 * the request (method, url, address), the status and the response time, under the request's
 * `requestId`. Fastify's own "incoming request" line moves to `debug` (except for upgrades): at
 * `info` it doubled the cost of logging, the largest single cost of a cached read
 * (tools/bench/results), and said nothing the completion line does not, except for requests still in
 * flight (LOG_LEVEL=debug shows them).
 */
export class AccessLogController extends LogController {
  /** Per logger of a request's server: a child without the wildcard redaction, and its bindings. */
  private readonly plain = new WeakMap<object, { log: PinoLogger; bound: Record<string, unknown> }>();

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
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else if ((reply.log as unknown as PinoLogger).isLevelEnabled('info')) this.completed(request, reply);
  }

  /**
   * "request completed" without pino's redaction pass. Why: the wildcard paths (`*.password`,
   * `*.token`...) made redaction about 3/4 of the line's cost (40-60 µs of 50-70 µs per line,
   * tools/bench/results/latest.md), and this line cannot hold a secret: `req` is the serializer's
   * method, redacted URL, host, address and port; `res` its status; and the request logger's
   * bindings (the request id, any added by a plugin) were redacted when that child was made.
   * Errors keep the redacting logger: an error may carry anything.
   */
  private completed(request: FastifyRequest, reply: FastifyReply): void {
    const server = request.server.log as unknown as PinoLogger;
    let plain = this.plain.get(server);
    if (!plain) {
      // A path that cannot match after serialization: pino's child option needs one.
      const log = server.child({}, { redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } });
      plain = { log, bound: log.bindings() };
      this.plain.set(server, plain);
    }
    const line: Record<string, unknown> = {};
    for (const [key, value] of Object.entries((reply.log as unknown as PinoLogger).bindings()))
      if (!(key in plain.bound)) line[key] = value;
    line.req = request;
    line.res = reply;
    line.responseTime = reply.elapsedTime;
    plain.log.info(line, 'request completed');
  }
}

const LEVEL_VALUES: Record<Config['logLevel'], number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/**
 * A route's log level that is at least `level` and never louder than the configured one:
 * probes and docs log only warnings, and LOG_LEVEL=silent stays silent.
 */
export function quieterOf(level: Config['logLevel'], configured: Config['logLevel']): Config['logLevel'] {
  return LEVEL_VALUES[configured] > LEVEL_VALUES[level] ? configured : level;
}
