// The worker's Prometheus metrics: how long each queue's jobs take and how they end, with the
// process's default metrics (event-loop lag, heap, CPU). A worker has no HTTP server of its own,
// so with WORKER_METRICS_PORT set it opens one that answers GET /metrics only, behind the same
// HTTP Basic credentials as the api's (METRICS_USERNAME / METRICS_PASSWORD).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Job, Worker } from 'bullmq';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JobMetrics {
  registry: Registry;
  /** Counts and times every job this worker finishes. */
  observe(queue: string, worker: Worker): void;
}

export function createJobMetrics(): JobMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['queue', 'outcome'] as const;
  const finished = new Counter({
    name: 'job_runs_total',
    help: 'Job attempts finished by this worker, by queue and outcome (completed, failed = retried or final)',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Processing time of a job attempt (started to finished), by queue and outcome',
    labelNames,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const record = (queue: string, outcome: string, job: Job | undefined) => {
    finished.inc({ queue, outcome });
    if (job?.processedOn && job.finishedOn && job.finishedOn >= job.processedOn)
      duration.observe({ queue, outcome }, (job.finishedOn - job.processedOn) / 1000);
  };
  return {
    registry,
    observe(queue, worker) {
      worker.on('completed', (job) => record(queue, 'completed', job));
      worker.on('failed', (job) => record(queue, 'failed', job));
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Whether `Authorization: Basic ...` names these credentials (constant time, like the api's). */
function authorized(header: string | undefined, username: string, password: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const expected = digest(`${username}:${password}`);
  return timingSafeEqual(digest(Buffer.from(match[1], 'base64').toString('utf8')), expected);
}

/** GET /metrics on `port` (all interfaces: Prometheus scrapes it from another container). */
export async function serveJobMetrics(
  registry: Registry,
  options: { port: number; host?: string; username: string; password: string },
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    if (!authorized(request.headers.authorization, options.username, options.password)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="metrics", charset="UTF-8"' }).end();
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return server;
}
