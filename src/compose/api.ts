// buildApp: the application factory. Everything the app needs is registered here in dependency
// order; `server.ts` listens, tests call `inject`. Options let a caller replace the
// configuration, the logger destination and any dependency of the composition root.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../config.js';
import container, { type DependencyOverrides } from '../container.js';
import { ajvDecimalPlaces } from '../lib/money.js';
import { AccessLogController, loggerSetup } from '../logger.js';
import { apiKeysRoutes } from '../modules/api-keys/api-keys.routes.js';
import { authRoutes } from '../modules/auth/auth.routes.js';
import { filesRoutes } from '../modules/files/files.routes.js';
import { itemsExportRoutes } from '../modules/items/items.export.js';
import { itemsImportRoutes } from '../modules/imports/items-import.routes.js';
import { itemsRoutes } from '../modules/items/items.routes.js';
import { jobsRoutes } from '../modules/jobs/jobs.routes.js';
import { reportsRoutes } from '../modules/reports/reports.routes.js';
import { eventsRoutes } from '../modules/realtime/events.routes.js';
import { websocketRoutes } from '../modules/realtime/websocket.routes.js';
import { systemRoutes } from '../modules/system/system.routes.js';
import { usersRoutes } from '../modules/users/users.routes.js';
import auditLog from '../plugins/audit-log.js';
import auth, { jwtPlugin } from '../plugins/auth.js';
import configPlugin from '../plugins/config.js';
import docs from '../plugins/docs.js';
import draining from '../plugins/draining.js';
import errors, { frameworkErrorHandler } from '../plugins/errors.js';
import health from '../plugins/health.js';
import httpHardening from '../plugins/http-hardening.js';
import metrics from '../plugins/metrics.js';
import prisma from '../plugins/prisma.js';
import queues from '../plugins/queues.js';
import { queueDashboard } from '../modules/queue-dashboard/queue-dashboard.routes.js';
import rateLimit from '../plugins/rate-limit.js';
import realtimeHub from '../plugins/realtime-hub.js';
import redis from '../infra/redis/redis.js';
import requestContext, { requestIdFrom } from '../plugins/request-context.js';

export interface BuildAppOptions {
  config?: Config;
  /** Replace any entry of the composition root (repositories, services, ports). */
  overrides?: DependencyOverrides;
  /** Where log lines go instead of stdout (tests capture them); redaction still applies. */
  logStream?: { write(line: string): void };
}

export type App = FastifyInstance;

export async function buildApp(options: BuildAppOptions = {}): Promise<App> {
  const config = options.config ?? loadConfig();

  const app = Fastify({
    logger: loggerSetup(config, options.logStream),
    genReqId: requestIdFrom,
    logController: new AccessLogController(),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Reject __proto__ and constructor.prototype keys in JSON bodies (prototype poisoning).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Bound slow or stalled clients (slowloris): headers must arrive within HEADERS_TIMEOUT and
    // the whole request within REQUEST_TIMEOUT; responses (long downloads) are not cut.
    requestTimeout: config.requestTimeout * 1000,
    http: {
      headersTimeout: config.headersTimeout * 1000,
      // How often Node checks those timeouts (its default, 30 s, would make them lax).
      connectionsCheckingInterval: Math.min(1000, config.headersTimeout * 500),
    },
    // Longer than nginx's upstream keep-alive, so the proxy closes idle connections first.
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    // ajvDecimalPlaces: the exact two-decimals rule of money amounts (src/lib/money.ts).
    ajv: {
      customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false, strictNumbers: true },
      plugins: [ajvDecimalPlaces],
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(configPlugin, { config });
  await app.register(requestContext);
  await app.register(draining);
  await app.register(errors);
  await app.register(metrics);
  await app.register(httpHardening);
  await app.register(prisma);
  await app.register(redis);
  await app.register(queues);
  await app.register(jwtPlugin);
  await app.register(rateLimit);
  await app.register(container, { overrides: options.overrides });
  await app.register(auth);
  await app.register(auditLog);
  await app.register(realtimeHub);
  await app.register(docs);
  await app.register(health);

  const { deps } = app;
  await app.register(systemRoutes);
  await app.register(authRoutes, {
    prefix: '/api/v1/auth',
    auth: deps.authService,
    passwordReset: deps.passwordResetService,
  });
  await app.register(apiKeysRoutes, { prefix: '/api/v1/users/me/api-keys', apiKeys: deps.apiKeysService });
  await app.register(usersRoutes, { prefix: '/api/v1/users', users: deps.usersService });
  await app.register(itemsExportRoutes, { prefix: '/api/v1/items', exporter: deps.itemsExportService });
  await app.register(itemsRoutes, { prefix: '/api/v1/items', items: deps.itemsService, cache: deps.itemsCache });
  await app.register(itemsImportRoutes, {
    prefix: '/api/v1/items',
    imports: deps.itemsImportService,
    maxUploadBytes: config.maxUploadBytes,
  });
  await app.register(jobsRoutes, { prefix: '/api/v1/jobs', jobs: deps.jobsService });
  await app.register(reportsRoutes, { prefix: '/api/v1/reports', reports: deps.reportsService });
  await app.register(queueDashboard, {
    prefix: '/admin/queues',
    basePath: '/admin/queues',
    queues: app.queues,
    credentials: deps.adminCredentials,
  });
  await app.register(filesRoutes, {
    prefix: '/api/v1/files',
    files: deps.filesService,
    maxUploadBytes: app.config.maxUploadBytes,
  });
  await app.register(websocketRoutes, {
    chat: deps.chatService,
    notifications: deps.notificationFeed,
    messageRate: { perSecond: config.wsMessageRate, burst: config.wsMessageBurst },
  });
  await app.register(eventsRoutes, {
    prefix: '/api/v1',
    notifications: deps.notificationFeed,
    streams: app.realtime.streams,
  });

  return app;
}
