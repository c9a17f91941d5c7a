// A small pg pool of its own for streamed exports (the CSV export's COPY). An export holds its
// connection for as long as its client takes to read, so exports must never draw from the pool
// that serves the API: slow or stalled downloads would starve every other request. With a pool
// of EXPORT_CONCURRENCY connections, the worst they can do is keep other exports waiting, and
// the export service refuses those at once (503) instead of queueing them.
import pg from 'pg';
import type { PgPool } from './prisma.js';

export function createExportPool(databaseUrl: string, max: number): PgPool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 3_000,
    // Exports are occasional: do not keep their connections open in between.
    idleTimeoutMillis: 10_000,
    application_name: 'export',
  });
  // An idle connection dropped by the server must not crash the process (as for the main pool).
  pool.on('error', () => {});
  return pool;
}
