// Recognises database failures that mean "PostgreSQL is unreachable or overloaded" (as opposed
// to a bug), so the error handler can answer 503 with Retry-After instead of 500.
import { Prisma } from '../generated/prisma/client.js';

// P1001 can't reach server, P1002 timed out, P1008 operation timed out, P1017 server closed
// the connection, P2024 timed out waiting for a pooled connection.
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const NETWORK_ERRORS = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection terminated|timeout exceeded when trying to connect/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return UNAVAILABLE_CODES.has(err.code);
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  // A connection dropped mid-query surfaces as the driver's own Error, tagged by Prisma with
  // its clientVersion.
  return err instanceof Error && 'clientVersion' in err && NETWORK_ERRORS.test(err.message);
}
