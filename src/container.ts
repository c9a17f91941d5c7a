// The composition root: the one place that builds repositories and services and wires them
// together. Routes receive services through their plugin options; tests replace any entry
// through `buildApp({ overrides })`.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { prismaUnitOfWork, type DbClient } from './db/unit-of-work.js';
import { EntityCache } from './infra/redis/entity-cache.js';
import { LogMailer, type Mailer } from './infra/mail/mailer.js';
import { LocalDiskStorage } from './infra/storage/local-disk-storage.js';
import type { Storage } from './infra/storage/storage.js';
import { ApiKeysRepository } from './modules/api-keys/api-keys.repository.js';
import { ApiKeysService } from './modules/api-keys/api-keys.service.js';
import { AuditLogRepository } from './modules/audit/audit-log.repository.js';
import { AuthService } from './modules/auth/auth.service.js';
import { PasswordHasher } from './modules/auth/password-hasher.js';
import { PasswordResetRepository } from './modules/auth/password-reset.repository.js';
import { PasswordResetService } from './modules/auth/password-reset.service.js';
import { RefreshTokensRepository } from './modules/auth/refresh-tokens.repository.js';
import { SessionsService } from './modules/auth/sessions.service.js';
import { TokenDenyList } from './modules/auth/token-deny-list.js';
import { accountExistsEmail } from './modules/email/account-exists-email.js';
import { QueuedMailer, welcomeEmail } from './modules/email/email-jobs.js';
import { MailSealer } from './modules/email/mail-sealer.js';
import { SentEmailsRepository } from './modules/email/sent-emails.repository.js';
import { SmtpMailer } from './infra/mail/smtp-mailer.js';
import { ItemsExportRepository } from './modules/items/items-export.repository.js';
import { ItemsExportService } from './modules/items/items-export.service.js';
import { ItemsImportProcessor } from './modules/imports/items-import.processor.js';
import { ItemsImportRepository } from './modules/imports/items-import.repository.js';
import { ItemsImportService } from './modules/imports/items-import.service.js';
import { ItemsRepository } from './modules/items/items.repository.js';
import { FilesRepository } from './modules/files/files.repository.js';
import { FilesService } from './modules/files/files.service.js';
import { ItemsService } from './modules/items/items.service.js';
import { ItemsReportProcessor } from './modules/reports/items-report.processor.js';
import { ReportsRepository } from './modules/reports/reports.repository.js';
import { ReportsService } from './modules/reports/reports.service.js';
import { ChatService } from './modules/realtime/chat.service.js';
import { NotificationFeed } from './modules/realtime/notifications.service.js';
import { publishRevocation } from './modules/realtime/revocations.js';
import type { JobQueues } from './infra/queues/job-queues.js';
import { AdminCredentials } from './modules/queue-dashboard/admin-credentials.js';
import { JobsService } from './modules/jobs/jobs.service.js';
import { UsersRepository } from './modules/users/users.repository.js';
import { UsersService, type SessionRevoker } from './modules/users/users.service.js';

export interface Dependencies {
  usersRepository: UsersRepository;
  refreshTokensRepository: RefreshTokensRepository;
  /** Builds the items repository on a client or a transaction; replace it to change both. */
  makeItemsRepository: (db: DbClient) => ItemsRepository;
  itemsRepository: ItemsRepository;
  passwordHasher: PasswordHasher;
  /** Access-token deny-list in Redis (logout, revoked sessions), shared by every instance. */
  tokenDenyList: TokenDenyList;
  sessionsService: SessionsService;
  sessionRevoker: SessionRevoker;
  /** The mail port services use: messages go on the `email` queue (see mailDelivery). */
  mailer: Mailer;
  passwordResetRepository: PasswordResetRepository;
  passwordResetService: PasswordResetService;
  apiKeysRepository: ApiKeysRepository;
  apiKeysService: ApiKeysService;
  authService: AuthService;
  usersService: UsersService;
  itemsService: ItemsService;
  /** The storage port for file bytes: local disk under UPLOAD_DIR; an object store adapter replaces it. */
  storage: Storage;
  filesRepository: FilesRepository;
  filesService: FilesService;
  itemsExportService: ItemsExportService;
  /** Cache-aside for GET /items/:id, shared by every instance through Redis. */
  itemsCache: EntityCache;
  /** The job queues (BullMQ adapter from the queues plugin); enqueueing only. */
  jobQueues: JobQueues;
  /** How the worker really delivers email: SMTP when SMTP_URL is set, the log otherwise. */
  mailDelivery: Mailer;
  /** Seals email bodies on the queue (api) and opens them for delivery (worker); key derived from JWT_SECRET. */
  mailSealer: MailSealer;
  sentEmailsRepository: SentEmailsRepository;
  jobsService: JobsService;
  auditLogRepository: AuditLogRepository;
  itemsImportRepository: ItemsImportRepository;
  /** API side of CSV imports: store the upload, queue the job. */
  itemsImportService: ItemsImportService;
  /** Worker side of CSV imports. */
  itemsImportProcessor: ItemsImportProcessor;
  reportsRepository: ReportsRepository;
  reportsService: ReportsService;
  /** Worker side of reports. */
  itemsReportProcessor: ItemsReportProcessor;
  /** Checks HTTP Basic admin logins (the queue dashboard). */
  adminCredentials: AdminCredentials;
  /** Chat rooms over the realtime hub (Redis pub/sub across instances). */
  chatService: ChatService;
  /** Per-user job notifications over the realtime hub. */
  notificationFeed: NotificationFeed;
}

export type DependencyOverrides = Partial<Dependencies>;

declare module 'fastify' {
  interface FastifyInstance {
    deps: Dependencies;
  }
}

/**
 * Builds every dependency lazily, taking an override when one is given, so replacing a
 * repository also changes what the services built on it receive.
 */
export function buildDependencies(app: FastifyInstance, overrides: DependencyOverrides = {}): Dependencies {
  const built: Partial<Dependencies> = { ...overrides };
  const get = <K extends keyof Dependencies>(key: K, make: () => Dependencies[K]): Dependencies[K] =>
    (built[key] ??= make()) as Dependencies[K];
  const { config, prisma, redis } = app;

  const deps: Dependencies = {
    // The realtime hub plugin registers after this one; these getters run once it exists.
    get chatService() {
      return get('chatService', () => new ChatService(app.realtime.hub, config.redisPrefix));
    },
    get notificationFeed() {
      return get('notificationFeed', () => new NotificationFeed(app.realtime.hub, config.redisPrefix));
    },
    get usersRepository() {
      return get('usersRepository', () => new UsersRepository(prisma));
    },
    get refreshTokensRepository() {
      return get('refreshTokensRepository', () => new RefreshTokensRepository(prisma));
    },
    get makeItemsRepository() {
      return get('makeItemsRepository', () => (db: DbClient) => new ItemsRepository(db));
    },
    get itemsRepository() {
      // The top-level repository also gets the pool, for the list's SQL (not the transactional ones).
      return get('itemsRepository', () =>
        overrides.makeItemsRepository ? deps.makeItemsRepository(prisma) : new ItemsRepository(prisma, app.pg),
      );
    },
    get passwordHasher() {
      return get('passwordHasher', () => new PasswordHasher(config.bcryptCost));
    },
    get tokenDenyList() {
      return get('tokenDenyList', () => new TokenDenyList(redis));
    },
    get sessionsService() {
      return get(
        'sessionsService',
        () =>
          new SessionsService({
            refreshTokens: deps.refreshTokensRepository,
            denyList: deps.tokenDenyList,
            accessTokenTtlSeconds: config.accessTokenTtl,
            log: app.log,
            // Live WebSocket and SSE connections of revoked sessions end on every instance.
            onRevoked: (revocation) => publishRevocation(redis, config.redisPrefix, revocation),
          }),
      );
    },
    get sessionRevoker() {
      return get('sessionRevoker', () => deps.sessionsService);
    },
    get mailer() {
      // Emails go through the `email` queue; the worker delivers them with mailDelivery.
      return get('mailer', () => new QueuedMailer(deps.jobQueues, deps.mailSealer));
    },
    get mailSealer() {
      return get('mailSealer', () => new MailSealer(config.jwtSecret));
    },
    get mailDelivery() {
      return get('mailDelivery', () =>
        config.smtpUrl
          ? new SmtpMailer(config.smtpUrl, config.mailFrom)
          : new LogMailer(app.log, config.nodeEnv === 'development'),
      );
    },
    get sentEmailsRepository() {
      return get('sentEmailsRepository', () => new SentEmailsRepository(prisma));
    },
    get jobQueues() {
      return get('jobQueues', () => app.queues);
    },
    get jobsService() {
      return get('jobsService', () => new JobsService(deps.jobQueues));
    },
    get itemsImportRepository() {
      return get('itemsImportRepository', () => new ItemsImportRepository(prisma, app.pg));
    },
    get itemsImportService() {
      return get(
        'itemsImportService',
        () =>
          new ItemsImportService({
            storage: deps.storage,
            files: deps.filesRepository,
            queues: deps.jobQueues,
            maxUploadBytes: config.maxUploadBytes,
          }),
      );
    },
    get itemsImportProcessor() {
      return get(
        'itemsImportProcessor',
        () => new ItemsImportProcessor({ storage: deps.storage, repository: deps.itemsImportRepository }),
      );
    },
    get reportsRepository() {
      return get('reportsRepository', () => new ReportsRepository(prisma));
    },
    get reportsService() {
      return get('reportsService', () => new ReportsService(deps.jobQueues));
    },
    get itemsReportProcessor() {
      return get(
        'itemsReportProcessor',
        () =>
          new ItemsReportProcessor({
            storage: deps.storage,
            files: deps.filesRepository,
            reports: deps.reportsRepository,
          }),
      );
    },
    get auditLogRepository() {
      return get('auditLogRepository', () => new AuditLogRepository(prisma));
    },
    get adminCredentials() {
      return get(
        'adminCredentials',
        () => new AdminCredentials(deps.usersRepository, deps.passwordHasher, deps.refreshTokensRepository),
      );
    },
    get itemsCache() {
      return get(
        'itemsCache',
        () => new EntityCache({ redis, namespace: 'items', ttlSeconds: config.cacheTtl, log: app.log }),
      );
    },
    get passwordResetRepository() {
      return get('passwordResetRepository', () => new PasswordResetRepository(prisma));
    },
    get passwordResetService() {
      return get(
        'passwordResetService',
        () =>
          new PasswordResetService({
            users: deps.usersRepository,
            resets: deps.passwordResetRepository,
            hasher: deps.passwordHasher,
            sessions: deps.sessionRevoker,
            mailer: deps.mailer,
            resetUrl: new URL('/reset-password', config.publicUrl).toString(),
            log: app.log,
          }),
      );
    },
    get apiKeysRepository() {
      return get('apiKeysRepository', () => new ApiKeysRepository(prisma));
    },
    get apiKeysService() {
      return get('apiKeysService', () => new ApiKeysService(deps.apiKeysRepository, deps.sessionsService));
    },
    get authService() {
      return get(
        'authService',
        () =>
          new AuthService({
            users: deps.usersRepository,
            refreshTokens: deps.refreshTokensRepository,
            hasher: deps.passwordHasher,
            sessions: deps.sessionsService,
            refreshTokenTtlSeconds: config.refreshTokenTtl,
            // The welcome email is queued; if the queue is down the sign-up still succeeds.
            onRegistered: async (user) => {
              await new QueuedMailer(deps.jobQueues, deps.mailSealer)
                .send(welcomeEmail(user, config.publicUrl), user.id)
                .catch((err: unknown) => app.log.warn({ err, userId: user.id }, 'welcome email not queued'));
            },
            // A sign-up with a taken email tells the owner by email, never the requester.
            onExistingAccount: async (user) => {
              await new QueuedMailer(deps.jobQueues, deps.mailSealer)
                .send(accountExistsEmail(user, config.publicUrl), user.id)
                .catch((err: unknown) => app.log.warn({ err, userId: user.id }, 'account-exists email not queued'));
            },
            signer: {
              sign: (claims) => ({
                token: app.jwt.sign({ ...claims, typ: 'access', jti: crypto.randomUUID() }),
                expiresIn: config.accessTokenTtl,
              }),
            },
          }),
      );
    },
    get usersService() {
      return get(
        'usersService',
        () =>
          new UsersService(deps.usersRepository, deps.passwordHasher, deps.sessionRevoker, {
            onItemRemoved: (id) => deps.itemsCache.invalidate(id),
            storage: deps.storage,
            log: app.log,
          }),
      );
    },
    get storage() {
      return get('storage', () => new LocalDiskStorage({ root: config.uploadDir, maxBytes: config.maxUploadBytes }));
    },
    get itemsExportService() {
      // Exports stream on their own small pool, bounded in number and cut when their client stalls.
      return get(
        'itemsExportService',
        () =>
          new ItemsExportService(new ItemsExportRepository(app.pgExport), {
            maxConcurrent: config.exportConcurrency,
            stallTimeoutMs: config.exportStallTimeout * 1000,
          }),
      );
    },
    get filesRepository() {
      return get('filesRepository', () => new FilesRepository(prisma));
    },
    get filesService() {
      return get(
        'filesService',
        () =>
          new FilesService({
            files: deps.filesRepository,
            storage: deps.storage,
            maxUploadBytes: config.maxUploadBytes,
            allowedTypes: config.allowedUploadTypes,
            log: app.log,
          }),
      );
    },
    get itemsService() {
      return get('itemsService', () => {
        const uow = prismaUnitOfWork(prisma, (db) => ({ items: deps.makeItemsRepository(db) }));
        return new ItemsService(deps.itemsRepository, uow, (id) => deps.itemsCache.invalidate(id));
      });
    },
  };
  return deps;
}

export default fp<{ overrides?: DependencyOverrides }>(
  async (app, opts) => {
    app.decorate('deps', buildDependencies(app, opts.overrides));
  },
  { name: 'container', dependencies: ['config', 'prisma', 'redis', 'jwt'] },
);
