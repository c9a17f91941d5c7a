// Recognises database failures that mean "PostgreSQL is unreachable or overloaded" (as opposed
// to a bug), so the error handler can answer 503 with Retry-After instead of 500.
import { Prisma } from '../generated/prisma/client.js';

// P1001 can't reach server, P1002 timed out, P1008 operation timed out, P1017 server closed
// the connection, P2024 timed out waiting for a pooled connection.
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const NETWORK_ERRORS =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection terminated|timeout exceeded when trying to connect/i;
// What the pg driver itself reports (raw SQL repositories, e.g. the CSV export): socket error
// codes, and PostgreSQL's SQLSTATEs for a server that is shutting down, starting up or full.
const DRIVER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return UNAVAILABLE_CODES.has(err.code);
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (!(err instanceof Error)) return false;
  // A connection dropped mid-query surfaces as the driver's own Error, tagged by Prisma with
  // its clientVersion.
  if ('clientVersion' in err) return NETWORK_ERRORS.test(err.message);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && DRIVER_CODES.has(code)) return true;
  // pg's pool and client raise these as plain Errors without a code.
  return /^(timeout exceeded when trying to connect|Connection terminated( unexpectedly| due to connection timeout)?)$/i.test(
    err.message,
  );
}
