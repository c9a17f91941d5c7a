// The worker's composition root: what a worker process runs, built top to bottom, and only for
// the queues it serves (WORKER_QUEUES, or all). No HTTP server, no JWT, no cache: the BullMQ
// workers and what their processors need. src/worker.ts starts it; tests start it in-process.
import { pino, type Logger as PinoLogger } from 'pino';
import type { Config } from '../config.js';
import { createDatabase } from '../db/prisma.js';
import { loggerSetup } from '../infra/logging.js';
import { createMailDelivery } from '../infra/mail/mail-delivery.js';
import type { Mailer } from '../infra/mail/mailer.js';
import { QUEUE_NAMES, type QueueName } from '../infra/queues/definitions.js';
import { createJobMetrics, serveJobMetrics, type JobMetrics } from '../infra/queues/job-metrics.js';
import { startWorkers, type Processor, type WorkerSet } from '../infra/queues/workers.js';
import { upsertSchedules } from '../infra/queues/schedules.js';
import { openStorage } from '../infra/storage/open-storage.js';
import { emailJobProcessor } from '../modules/email/email.module.js';
import { storageSweepJobProcessor } from '../modules/files/files.module.js';
import { importsJobProcessor } from '../modules/imports/imports.module.js';
import type { ItemsImportRepository } from '../modules/imports/items-import.repository.js';
import { reportsJobProcessor } from '../modules/reports/reports.module.js';

/**
 * Stored objects without a row are deleted by the sweep only past this age. S3 dates a
 * multipart object from the start of its upload, so this must exceed the longest upload
 * (REQUEST_TIMEOUT bounds it) with room to spare.
 */
const STORAGE_SWEEP_GRACE_MS = 6 * 3600_000;

/** Parts a caller (a test) may replace, by name. */
export interface WorkerOverrides {
  /** How email leaves (SMTP or the log by default); tests give an inbox. */
  mailDelivery?: Mailer;
  importsRepository?: ItemsImportRepository;
}

export interface WorkerRuntimeOptions {
  overrides?: WorkerOverrides;
  logStream?: { write(line: string): void };
  /** Run only these queues (to scale one kind of work on its own); all by default. */
  queues?: readonly QueueName[];
}

export interface WorkerRuntime {
  workers: WorkerSet;
  jobMetrics: JobMetrics;
  log: PinoLogger;
  /** Finishes the jobs in progress, then closes the database connections. */
  close(): Promise<void>;
}

function createLogger(config: Config, logStream: WorkerRuntimeOptions['logStream']): PinoLogger {
  const { stream, ...options } = loggerSetup(config, logStream);
  return (stream ? pino(options, stream) : pino(options)).child({ process: 'worker' });
}

export async function startWorkerRuntime(config: Config, options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const { overrides = {} } = options;
  const queues = options.queues ?? QUEUE_NAMES;
  const log = createLogger(config, options.logStream);

  const database = createDatabase({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax });
  const { prisma, pool } = database;
  const storage = openStorage(config);

  // Each queue's processor, built only when this process runs that queue.
  const processorOf: Record<QueueName, () => Processor> = {
    email: () =>
      emailJobProcessor({
        prisma,
        delivery: overrides.mailDelivery ?? createMailDelivery(config, log),
        jwtSecret: config.jwtSecret,
      }),
    imports: () => importsJobProcessor({ prisma, pool, storage, repository: overrides.importsRepository }),
    reports: () => reportsJobProcessor({ prisma, storage }),
    storage: () => storageSweepJobProcessor({ prisma, storage, log, graceMs: STORAGE_SWEEP_GRACE_MS }),
  };
  const processors = Object.fromEntries(queues.map((queue) => [queue, processorOf[queue]()]));

  const workers = await startWorkers({ config, processors, log });
  await upsertSchedules(config, queues);
  // Job durations and outcomes, scraped at WORKER_METRICS_PORT when set.
  const jobMetrics = createJobMetrics();
  for (const worker of workers.workers) jobMetrics.observe(worker.name, worker);
  const metricsServer =
    config.workerMetricsPort > 0
      ? await serveJobMetrics(jobMetrics.registry, {
          port: config.workerMetricsPort,
          username: config.metricsUsername,
          password: config.metricsPassword,
        })
      : undefined;
  log.info({ queues, concurrency: config.workerConcurrency }, 'worker started');
  return {
    workers,
    jobMetrics,
    log,
    async close() {
      metricsServer?.close();
      await workers.close();
      await database.close();
    },
  };
}
