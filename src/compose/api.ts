// The api's composition root: one function that builds the process top to bottom. The
// configuration and the HTTP server first, then the infrastructure (PostgreSQL, Redis, queues,
// the pub/sub hub, storage, mail), then the feature modules, each from what it needs, then the
// plugins and routes in the order they must register. Nothing is looked up by name: a module is
// a `const`, and using one before it is built does not compile. `server.ts` listens; tests call
// `inject` and replace parts through `overrides`.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config.js';
import type { PrismaClient } from '../db/prisma.js';
import { openDatabase } from '../db/open-database.js';
import type { Mailer } from '../infra/mail/mailer.js';
import { openJobQueues } from '../infra/queues/open-job-queues.js';
import { openRealtimeHub } from '../infra/realtime/open-hub.js';
import { closeRedis, openRedis } from '../infra/redis/redis.js';
import { openStorage } from '../infra/storage/open-storage.js';
import type { Storage } from '../infra/storage/storage.js';
import { apiKeysModule } from '../modules/api-keys/api-keys.module.js';
import { AuditLogRepository } from '../modules/audit/audit-log.repository.js';
import { authModule } from '../modules/auth/auth.module.js';
import type { PasswordHasher } from '../modules/auth/password-hasher.js';
import { queuedMailer } from '../modules/email/email.module.js';
import { filesModule } from '../modules/files/files.module.js';
import { importsModule } from '../modules/imports/imports.module.js';
import { itemsModule, type ItemsModuleOverrides } from '../modules/items/items.module.js';
import { jobsModule } from '../modules/jobs/jobs.module.js';
import { queueDashboardModule } from '../modules/queue-dashboard/queue-dashboard.module.js';
import { realtimeModule, type RealtimeModuleOverrides } from '../modules/realtime/realtime.module.js';
import { reportsModule } from '../modules/reports/reports.module.js';
import { systemRoutes } from '../modules/system/system.routes.js';
import { usersModule } from '../modules/users/users.module.js';
import auditLog, { type AuditLogOptions } from '../plugins/audit-log.js';
import authGuards, { jwtPlugin } from '../plugins/auth.js';
import configPlugin from '../plugins/config.js';
import docs from '../plugins/docs.js';
import draining from '../plugins/draining.js';
import errors from '../plugins/errors.js';
import health from '../plugins/health.js';
import httpHardening from '../plugins/http-hardening.js';
import metrics from '../plugins/metrics.js';
import runtimeMetrics from '../plugins/metrics-runtime.js';
import rateLimit from '../plugins/rate-limit.js';
import webApp, { findWebBuild } from '../plugins/web-app.js';
import requestContext from '../plugins/request-context.js';
import websocketServer from '../plugins/websocket-server.js';
import { createServer } from './http-server.js';

/** Parts a caller (a test) may replace, by name; everything else is built as usual around them. */
export interface ApiOverrides {
  passwordHasher?: PasswordHasher;
  /** The mail port the services use (the `email` queue by default). */
  mailer?: Mailer;
  storage?: Storage;
  auditLog?: AuditLogOptions['auditLog'];
  items?: ItemsModuleOverrides;
  realtime?: RealtimeModuleOverrides;
}

export interface BuildAppOptions {
  config?: Config;
  overrides?: ApiOverrides;
  /** Where log lines go instead of stdout (tests capture them); redaction still applies. */
  logStream?: { write(line: string): void };
}

export type App = FastifyInstance;
export type ApiServices = Awaited<ReturnType<typeof composeApi>>;

declare module 'fastify' {
  interface FastifyInstance {
    /** For tests and scripts that call the app directly: routes and plugins get what they need through options. */
    prisma: PrismaClient;
    redis: Redis;
    services: ApiServices;
  }
}

/** The infrastructure and the modules, in dependency order, with the HTTP surface registered on `app`. */
async function composeApi(app: App, config: Config, overrides: ApiOverrides) {
  const log = app.log;

  // Infrastructure. Nothing here waits for PostgreSQL or Redis to be up: readiness reports them.
  const database = openDatabase(config, log);
  // Three Redis connections (commands, queues, pub/sub) connect at once: when Redis is down,
  // start-up waits one connect budget, not three.
  const { redis, connected } = openRedis(config, log);
  const [queues, realtimeHub] = await Promise.all([
    openJobQueues(config, log),
    openRealtimeHub(config, redis, log),
    connected,
  ]);
  const { hub } = realtimeHub;
  const storage = overrides.storage ?? openStorage(config);
  const mailer = overrides.mailer ?? queuedMailer({ queues, jwtSecret: config.jwtSecret });
  app.addHook('onReady', () => database.warmedUp);
  // Closed after every plugin and route: onClose hooks run last in, first out, and this one is first.
  app.addHook('onClose', async () => {
    await queues.close();
    await realtimeHub.close();
    await closeRedis(redis);
    await database.close();
  });

  // The HTTP foundation: every later plugin and route relies on these.
  await app.register(configPlugin, { config });
  await app.register(requestContext);
  await app.register(draining);
  await app.register(errors);
  await app.register(metrics);
  await app.register(httpHardening);
  await app.register(jwtPlugin);
  await app.register(rateLimit, { redis });

  // Feature modules, each built from what it needs.
  const { prisma, pool, exportPool } = database;
  const auth = authModule({ config, prisma, redis, jwt: app.jwt, mailer, log, hasher: overrides.passwordHasher });
  const apiKeys = apiKeysModule({ prisma, liveConnections: auth.sessions });
  const items = itemsModule({ config, prisma, pool, exportPool, redis, bus: hub, log }, overrides.items);
  // Before the hub closes (hooks run last in, first out): the cache stops listening to it.
  app.addHook('onClose', () => items.cache.close());
  const users = usersModule({
    prisma,
    hasher: auth.hasher,
    sessions: auth.sessions,
    onItemRemoved: (id) => items.cache.invalidate(id),
    storage,
    log,
  });
  const files = filesModule({ config, prisma, storage, log });
  const imports = importsModule({ prisma, storage, queues, maxUploadBytes: config.maxUploadBytes });
  const jobs = jobsModule({ queues });
  const reports = reportsModule({ queues });
  const queueDashboard = queueDashboardModule({ prisma, hasher: auth.hasher, queues, basePath: '/admin/queues' });
  const realtime = realtimeModule(
    {
      config,
      hub,
      redis,
      checks: { resolveAccessToken: auth.resolveAccessToken, authenticateApiKey: apiKeys.credentials.authenticate },
    },
    overrides.realtime,
  );

  // Cross-cutting plugins that need the modules: the guards, the audit trail, WebSockets, docs, probes.
  await app.register(authGuards, { resolveAccessToken: auth.resolveAccessToken, apiKeys: apiKeys.credentials });
  await app.register(auditLog, { auditLog: overrides.auditLog ?? new AuditLogRepository(prisma) });
  await app.register(websocketServer, {
    maxPayload: config.wsMaxPayload,
    heartbeatSeconds: config.wsHeartbeatInterval,
    streams: realtime.streams,
    hub,
  });
  await app.register(runtimeMetrics, {
    pools: { api: pool, export: exportPool },
    redis: {
      commands: redis,
      queues: {
        get status() {
          return queues.isAvailable() ? 'ready' : 'down';
        },
      },
    },
    queues,
  });
  await app.register(docs);
  await app.register(health, {
    probes: {
      postgres: () => prisma.$queryRaw`SELECT 1`,
      redis: () => redis.ping(),
      ...(config.storageDriver === 's3' && { storage: () => storage.check() }),
    },
  });

  // Routes. `/` is the web app when there is a build, else the landing page.
  const webBuild = findWebBuild(config.webDistDir);
  if (!webBuild) log.info({ dir: config.webDistDir }, 'no web app build: serving the landing page at /');
  await app.register(systemRoutes, { landingPage: !webBuild });
  await app.register(auth.routes, { prefix: '/api/v1/auth' });
  await app.register(apiKeys.routes, { prefix: '/api/v1/users/me/api-keys' });
  await app.register(users.routes, { prefix: '/api/v1/users' });
  await app.register(items.routes, { prefix: '/api/v1/items' });
  await app.register(imports.routes, { prefix: '/api/v1/items' });
  await app.register(jobs.routes, { prefix: '/api/v1/jobs' });
  await app.register(reports.routes, { prefix: '/api/v1/reports' });
  await app.register(queueDashboard.routes, { prefix: '/admin/queues' });
  await app.register(files.routes, { prefix: '/api/v1/files' });
  await app.register(realtime.routes);
  if (webBuild) await app.register(webApp, { root: webBuild });

  return {
    database,
    redis,
    queues,
    hub,
    storage,
    mailer,
    auth,
    apiKeys,
    items,
    users,
    files,
    imports,
    jobs,
    reports,
    realtime,
  };
}

export async function buildApp(options: BuildAppOptions = {}): Promise<App> {
  const config = options.config ?? loadConfig();
  const app = createServer(config, options.logStream);
  const services = await composeApi(app, config, options.overrides ?? {});
  app.decorate('prisma', services.database.prisma);
  app.decorate('redis', services.redis);
  app.decorate('services', services);
  return app;
}
