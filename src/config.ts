// Configuration: read once from the environment (and `.env` outside production), validated,
// typed and frozen. A missing or malformed variable throws a ConfigError whose message is one
// line naming every offending variable; server.ts prints it and exits with code 1.
// One file on purpose (over 300 lines): every setting, its default and its check side by side,
// in the same order as .env.example.
import { existsSync } from 'node:fs';
import dotenv from 'dotenv';
import { parseDurationSeconds } from './lib/duration.js';
import { QUEUE_NAMES, type QueueName } from './infra/queues/definitions.js';

export type NodeEnv = 'development' | 'test' | 'production';
export type StorageDriver = 'local' | 's3';

export interface S3Settings {
  /** Unset for AWS S3; the store's URL for MinIO, Ceph RGW, R2, GCS. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  /** Both unset: the SDK's default credential chain (IAM role, web identity). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  databasePoolMax: number;
  /** CSV exports one process streams at once: the size of their own pg pool; one more is refused with 503. */
  exportConcurrency: number;
  /** Seconds an export may go without its client reading anything before it is cut and its connection freed. */
  exportStallTimeout: number;
  redisUrl: string;
  /** Prefix for every Redis key this app writes, so several apps or test runs share a server. */
  redisPrefix: string;
  jwtSecret: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  bcryptCost: number;
  uploadDir: string;
  maxUploadBytes: number;
  /** Where file bytes live: `local` (UPLOAD_DIR, one host or a shared volume) or `s3` (an S3-compatible bucket). */
  storageDriver: StorageDriver;
  /** The bucket and how to reach it; set only when storageDriver is `s3`. */
  s3: S3Settings | undefined;
  /** Downloads streamed through the api (`proxy`) or answered with a short-lived presigned URL (`redirect`, s3 only). */
  fileDownload: 'proxy' | 'redirect';
  allowedUploadTypes: string[];
  bodyLimit: number;
  /** Seconds a client may take to send all request headers (slowloris guard). */
  headersTimeout: number;
  /** Seconds a client may take to send a whole request, body included (large uploads too). */
  requestTimeout: number;
  corsOrigins: string[];
  /** Mean event-loop lag (ms) above which requests are shed with 503; 0 turns shedding off. */
  maxEventLoopDelay: number;
  /** How often (ms) the event-loop lag is sampled; the lag is averaged over one interval. */
  eventLoopSampleInterval: number;
  trustProxy: string[];
  rateLimitMax: number;
  /** Hits per key an instance counts before Redis sees them (plugins/rate-limit.ts); 1: exact. */
  rateLimitBatch: number;
  rateLimitWindow: number;
  loginRateLimitMax: number;
  cacheTtl: number;
  /** Seconds an instance serves its in-process copy of a cached item; 0: none (infra/redis/entity-cache.ts). */
  cacheLocalTtl: number;
  logLevel: LogLevel;
  metricsUsername: string;
  metricsPassword: string;
  adminEmail: string;
  adminPassword: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Attempts per background job (the first run included) and the first retry delay in ms; each retry doubles it. */
  jobAttempts: number;
  jobBackoffMs: number;
  /**
   * Seconds a worker's job lock lasts (renewed at half of it while the job runs) and between
   * stalled-job checks: a worker that died mid-job loses its job to another one after about
   * the sum of both.
   */
  jobLockDuration: number;
  jobStalledInterval: number;
  /**
   * Seconds a signalled api keeps its listener open, answering new requests with 503 (which the
   * proxy retries elsewhere) while in-flight ones finish, before it closes (see src/server.ts).
   */
  drainDelay: number;
  /** Jobs one worker process runs at the same time, per queue. */
  workerConcurrency: number;
  /** Queues a worker process serves (all when unset), to scale one kind of work on its own. */
  workerQueues: QueueName[] | undefined;
  /** Port of the worker's own GET /metrics (job durations, Basic auth as the api's); 0 = none. */
  workerMetricsPort: number;
  /** Largest WebSocket frame accepted, in bytes; a bigger one closes the socket (1009). */
  wsMaxPayload: number;
  /** Seconds between WebSocket pings; a peer that missed the previous pong is dropped. */
  wsHeartbeatInterval: number;
  /** Chat messages a connection may send per second (steady rate) and in one burst. */
  wsMessageRate: number;
  wsMessageBurst: number;
  /** Seconds between SSE heartbeat comments, which keep proxies from closing idle streams. */
  sseHeartbeatInterval: number;
  /** The built web app (web/dist) the api serves at `/`; when it has no index.html the landing page is served. */
  webDistDir: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Default secret shipped in `.env.example` and compose; refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'change-me-in-production-this-is-only-for-development-use';
const MIN_PRODUCTION_SECRET_LENGTH = 32;
/** Defaults shipped in `.env.example`; refused in production. */
export const DEVELOPMENT_METRICS_PASSWORD = 'metrics-password-change-me';
export const DEVELOPMENT_ADMIN_PASSWORD = 'admin-password-change-me';

type Env = Record<string, string | undefined>;
type Parser<T> = (raw: string) => T | undefined;

const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return undefined;
    const n = Number(raw);
    return n >= min && n <= max ? n : undefined;
  };
const duration: Parser<number> = (raw) => parseDurationSeconds(raw);
const durationOrZero: Parser<number> = (raw) => (/^0+\s*[smhd]?$/.test(raw.trim()) ? 0 : parseDurationSeconds(raw));
const text: Parser<string> = (raw) => (raw.trim() === '' ? undefined : raw.trim());
const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) =>
    (values as string[]).includes(raw) ? (raw as T) : undefined;
const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  };

interface Spec<T> {
  parse: Parser<T>;
  /** Used when the variable is unset; no default means the variable is required. */
  default?: string;
  hint: string;
}

function read<T>(env: Env, name: string, spec: Spec<T>, problems: string[]): T {
  const raw = env[name] ?? spec.default;
  if (raw === undefined) {
    problems.push(`${name} is required (${spec.hint})`);
    return undefined as T;
  }
  const value = spec.parse(raw);
  if (value === undefined)
    problems.push(`${name}=${JSON.stringify(redactIfSecret(name, raw))} is invalid (${spec.hint})`);
  return value as T;
}

function redactIfSecret(name: string, raw: string): string {
  return /SECRET|PASSWORD|URL/.test(name) ? '***' : raw;
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const r = <T>(name: string, spec: Spec<T>) => read(env, name, spec, problems);

  const nodeEnv = r('NODE_ENV', {
    parse: oneOf<NodeEnv>('development', 'test', 'production'),
    default: 'development',
    hint: 'development, test or production',
  });
  const port = r('PORT', { parse: integer(0, 65535), default: '3000', hint: 'a port number' });
  const config: Config = {
    nodeEnv,
    host: r('HOST', { parse: text, default: '0.0.0.0', hint: 'an interface address' }),
    port,
    publicUrl: r('PUBLIC_URL', {
      parse: url('http:', 'https:'),
      default: `http://localhost:${port ?? 3000}`,
      hint: 'the URL clients use, e.g. https://api.example.com',
    }),
    databaseUrl: r('DATABASE_URL', {
      parse: url('postgres:', 'postgresql:'),
      hint: 'postgresql://user:password@host:5432/db',
    }),
    databasePoolMax: r('DATABASE_POOL_MAX', {
      parse: integer(1, 200),
      default: '10',
      hint: 'connections per process, 1..200',
    }),
    exportConcurrency: r('EXPORT_CONCURRENCY', {
      parse: integer(1, 50),
      default: '2',
      hint: 'CSV exports at once per process (their own connections), 1..50',
    }),
    exportStallTimeout: r('EXPORT_STALL_TIMEOUT', { parse: duration, default: '30s', hint: 'seconds or 30s, 1m' }),
    redisUrl: r('REDIS_URL', {
      parse: url('redis:', 'rediss:'),
      default: 'redis://127.0.0.1:6379',
      hint: 'redis://host:6379/0',
    }),
    redisPrefix: r('REDIS_PREFIX', {
      parse: (raw) => (/^[\w:.-]{1,64}$/.test(raw) ? raw : undefined),
      default: 'app:',
      hint: 'letters, digits, _ : . -',
    }),
    jwtSecret: r('JWT_SECRET', {
      parse: text,
      default: DEVELOPMENT_JWT_SECRET,
      hint: `a random string of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters`,
    }),
    accessTokenTtl: r('ACCESS_TOKEN_TTL', { parse: duration, default: '15m', hint: 'seconds or 15m, 1h, 7d' }),
    refreshTokenTtl: r('REFRESH_TOKEN_TTL', { parse: duration, default: '7d', hint: 'seconds or 15m, 1h, 7d' }),
    bcryptCost: r('BCRYPT_COST', { parse: integer(4, 15), default: '12', hint: 'bcrypt work factor, 4..15' }),
    uploadDir: r('UPLOAD_DIR', { parse: text, default: './uploads', hint: 'a writable directory' }),
    maxUploadBytes: r('MAX_UPLOAD_BYTES', {
      parse: integer(1, 2 ** 40),
      default: String(50 * 1024 * 1024),
      hint: 'bytes per uploaded file',
    }),
    ...storageSettings(env, r),
    allowedUploadTypes: r('ALLOWED_UPLOAD_TYPES', {
      parse: list,
      default:
        'image/png,image/jpeg,image/gif,image/webp,application/pdf,application/zip,text/plain,text/csv,application/json,application/octet-stream',
      hint: 'comma-separated media types',
    }),
    bodyLimit: r('BODY_LIMIT', {
      parse: integer(1024, 100 * 1024 * 1024),
      default: String(1024 * 1024),
      hint: 'bytes of a JSON or form body',
    }),
    headersTimeout: r('HEADERS_TIMEOUT', {
      parse: duration,
      default: '10s',
      hint: 'seconds to receive request headers',
    }),
    requestTimeout: r('REQUEST_TIMEOUT', {
      parse: duration,
      default: '300s',
      hint: 'seconds to receive a whole request',
    }),
    corsOrigins: r('CORS_ORIGINS', {
      parse: list,
      default: 'http://localhost:3000,http://localhost:8080',
      hint: 'comma-separated origins',
    }),
    maxEventLoopDelay: r('MAX_EVENT_LOOP_DELAY', {
      parse: integer(0, 60_000),
      default: '1000',
      hint: 'milliseconds of event-loop lag before answering 503, 0 = never',
    }),
    eventLoopSampleInterval: r('EVENT_LOOP_SAMPLE_INTERVAL', {
      parse: integer(10, 60_000),
      default: '1000',
      hint: 'milliseconds between event-loop lag samples, 10..60000',
    }),
    trustProxy: r('TRUST_PROXY', { parse: list, default: '', hint: 'comma-separated proxy addresses or CIDRs' }),
    rateLimitMax: r('RATE_LIMIT_MAX', { parse: integer(1, 1_000_000), default: '300', hint: 'requests per window' }),
    rateLimitBatch: r('RATE_LIMIT_BATCH', {
      parse: integer(1, 1_000),
      default: '20',
      hint: 'hits per key counted locally before Redis; 1 = exact',
    }),
    rateLimitWindow: r('RATE_LIMIT_WINDOW', { parse: duration, default: '1m', hint: 'seconds or 1m' }),
    loginRateLimitMax: r('LOGIN_RATE_LIMIT_MAX', {
      parse: integer(1, 10_000),
      default: '10',
      hint: 'login attempts per window',
    }),
    cacheTtl: r('CACHE_TTL', { parse: duration, default: '60s', hint: 'seconds or 1m' }),
    cacheLocalTtl: r('CACHE_LOCAL_TTL', {
      parse: durationOrZero,
      default: '1s',
      hint: 'seconds or 1s; 0 turns it off',
    }),
    logLevel: r('LOG_LEVEL', {
      parse: oneOf<LogLevel>('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
      default: nodeEnv === 'test' ? 'silent' : 'info',
      hint: 'a pino level',
    }),
    metricsUsername: r('METRICS_USERNAME', { parse: text, default: 'metrics', hint: 'HTTP Basic user for /metrics' }),
    metricsPassword: r('METRICS_PASSWORD', {
      parse: text,
      default: DEVELOPMENT_METRICS_PASSWORD,
      hint: 'HTTP Basic password for /metrics',
    }),
    adminEmail: r('ADMIN_EMAIL', { parse: text, default: 'admin@example.com', hint: 'email of the seeded admin' }),
    adminPassword: r('ADMIN_PASSWORD', {
      parse: text,
      default: DEVELOPMENT_ADMIN_PASSWORD,
      hint: 'password of the seeded admin',
    }),
    smtpUrl: env.SMTP_URL?.trim()
      ? r('SMTP_URL', { parse: url('smtp:', 'smtps:'), hint: 'smtp://user:pass@host:587' })
      : undefined,
    mailFrom: r('MAIL_FROM', {
      parse: text,
      default: 'Fastify Template <no-reply@example.com>',
      hint: 'sender address',
    }),
    jobAttempts: r('JOB_ATTEMPTS', { parse: integer(1, 50), default: '5', hint: 'attempts per background job, 1..50' }),
    jobBackoffMs: r('JOB_BACKOFF_MS', {
      parse: integer(1, 3_600_000),
      default: '2000',
      hint: 'first retry delay in milliseconds (doubles each retry)',
    }),
    jobLockDuration: r('JOB_LOCK_DURATION', { parse: duration, default: '30s', hint: 'seconds or 30s, 1m' }),
    jobStalledInterval: r('JOB_STALLED_INTERVAL', { parse: duration, default: '30s', hint: 'seconds or 30s, 1m' }),
    drainDelay: r('DRAIN_DELAY', { parse: durationOrZero, default: '0s', hint: 'seconds or 2s; 0 closes at once' }),
    workerConcurrency: r('WORKER_CONCURRENCY', {
      parse: integer(1, 100),
      default: '5',
      hint: 'jobs per queue at once in one worker process',
    }),
    workerQueues: env.WORKER_QUEUES?.trim()
      ? r('WORKER_QUEUES', {
          parse: (raw) => {
            const names = list(raw) ?? [];
            return names.length > 0 && names.every((name) => (QUEUE_NAMES as readonly string[]).includes(name))
              ? (names as QueueName[])
              : undefined;
          },
          hint: `comma-separated queues among ${QUEUE_NAMES.join(', ')}`,
        })
      : undefined,
    workerMetricsPort: r('WORKER_METRICS_PORT', {
      parse: integer(0, 65535),
      default: '0',
      hint: 'a port for the worker GET /metrics, 0 for none',
    }),
    wsMaxPayload: r('WS_MAX_PAYLOAD', {
      parse: integer(1024, 16 * 1024 * 1024),
      default: String(64 * 1024),
      hint: 'bytes per WebSocket frame',
    }),
    wsHeartbeatInterval: r('WS_HEARTBEAT_INTERVAL', { parse: duration, default: '30s', hint: 'seconds or 30s, 1m' }),
    wsMessageRate: r('WS_MESSAGE_RATE', {
      parse: integer(1, 100_000),
      default: '10',
      hint: 'chat messages per second per connection',
    }),
    wsMessageBurst: r('WS_MESSAGE_BURST', {
      parse: integer(1, 100_000),
      default: '20',
      hint: 'chat messages in one burst per connection',
    }),
    sseHeartbeatInterval: r('SSE_HEARTBEAT_INTERVAL', { parse: duration, default: '15s', hint: 'seconds or 15s, 1m' }),
    webDistDir: r('WEB_DIST_DIR', { parse: text, default: './web/dist', hint: 'the web app build directory' }),
  };

  if (nodeEnv === 'production') {
    if (config.jwtSecret === DEVELOPMENT_JWT_SECRET || (config.jwtSecret ?? '').length < MIN_PRODUCTION_SECRET_LENGTH) {
      problems.push(
        `JWT_SECRET must be set to a random string of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters in production`,
      );
    }
    if (config.metricsPassword === DEVELOPMENT_METRICS_PASSWORD)
      problems.push('METRICS_PASSWORD must be changed in production');
    // The seed creates an ADMIN with this password: the published default would be a known admin login.
    if (config.adminPassword === DEVELOPMENT_ADMIN_PASSWORD)
      problems.push('ADMIN_PASSWORD must be changed in production');
    // The CORS plugin sends credentials: true, so `*` would reflect every origin as allowed with
    // credentials: any site could call the API from its visitors' browsers.
    if (config.corsOrigins?.includes('*'))
      problems.push('CORS_ORIGINS=* is refused in production: list the origins of your front-ends');
  }

  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return Object.freeze(config);
}

type Reader = <T>(name: string, spec: Spec<T>) => T;

/** STORAGE_DRIVER and, for `s3`, the bucket settings: required only when they are used. */
function storageSettings(env: Env, r: Reader): Pick<Config, 'storageDriver' | 's3' | 'fileDownload'> {
  const storageDriver = r('STORAGE_DRIVER', {
    parse: oneOf<StorageDriver>('local', 's3'),
    default: 'local',
    hint: 'local or s3',
  });
  const fileDownload = r('FILE_DOWNLOAD', {
    parse: oneOf<'proxy' | 'redirect'>('proxy', 'redirect'),
    default: 'proxy',
    hint: 'proxy or redirect',
  });
  if (storageDriver !== 's3') {
    if (fileDownload === 'redirect')
      r('FILE_DOWNLOAD', { parse: () => undefined, hint: 'redirect needs STORAGE_DRIVER=s3' });
    return { storageDriver, s3: undefined, fileDownload };
  }
  const optional = (name: string) => (env[name]?.trim() ? r(name, { parse: text, hint: 'text' }) : undefined);
  const s3: S3Settings = {
    endpoint: env.S3_ENDPOINT?.trim()
      ? r('S3_ENDPOINT', {
          parse: url('http:', 'https:'),
          hint: 'the store URL, e.g. http://minio:9000; unset for AWS',
        })
      : undefined,
    region: r('S3_REGION', { parse: text, default: 'us-east-1', hint: 'e.g. eu-west-1; auto for R2' }),
    bucket: r('S3_BUCKET', {
      // S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
      parse: (raw) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw.trim()) ? raw.trim() : undefined),
      hint: 'an existing bucket name, 3-63 of a-z 0-9 . -',
    }),
    accessKeyId: optional('S3_ACCESS_KEY_ID'),
    secretAccessKey: optional('S3_SECRET_ACCESS_KEY'),
    forcePathStyle:
      r('S3_FORCE_PATH_STYLE', {
        parse: oneOf('true', 'false'),
        default: 'false',
        hint: 'true for MinIO and most self-hosted stores',
      }) === 'true',
  };
  // One key without the other is a typo, not a choice of the default credential chain.
  if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
    r('S3_SECRET_ACCESS_KEY', {
      parse: () => undefined,
      default: '',
      hint: 'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together, or neither for the default credential chain',
    });
  }
  return { storageDriver, s3, fileDownload };
}

/**
 * Reads `.env` into `env` (process.env by default) outside production; variables already set
 * win. In production the environment is the configuration: a stray `.env` in the image or the
 * working directory must not change it.
 */
export function loadDotenv(path = '.env', env: Env = process.env): void {
  if (env.NODE_ENV !== 'production' && existsSync(path)) dotenv.config({ path, quiet: true, processEnv: env });
}
