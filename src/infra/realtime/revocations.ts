// The contract between whoever revokes credentials (logout, refresh-token reuse, password
// change or reset, deactivation, deletion) and the instances holding live connections (WebSocket,
// SSE) opened with them: one Redis pub/sub channel, so a revocation on any instance ends the
// connections on every instance at once instead of at the access token's expiry.
// Channel names are not touched by ioredis' keyPrefix, so the prefix is added here explicitly.

export interface Revocation {
  /** Sessions (refresh families, the `sid` of access tokens) that ended. */
  sessionIds: string[];
  /** Set when every credential of the user may have changed: their other connections are checked again. */
  userId?: number;
}

export function revocationChannel(redisPrefix: string): string {
  return `${redisPrefix}auth:revocations`;
}

export interface RevocationPublisher {
  publish(channel: string, message: string): Promise<number>;
}

export async function publishRevocation(
  redis: RevocationPublisher,
  redisPrefix: string,
  revocation: Revocation,
): Promise<void> {
  await redis.publish(revocationChannel(redisPrefix), JSON.stringify(revocation));
}

/** The revocation in a message, or undefined when it is not one (anything may be published on a channel). */
export function parseRevocation(message: Buffer | string): Revocation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message.toString());
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { sessionIds, userId } = value as { sessionIds?: unknown; userId?: unknown };
  const sessions = Array.isArray(sessionIds) ? sessionIds.filter((id): id is string => typeof id === 'string') : [];
  const user = typeof userId === 'number' && Number.isInteger(userId) ? userId : undefined;
  if (sessions.length === 0 && user === undefined) return undefined;
  return user === undefined ? { sessionIds: sessions } : { sessionIds: sessions, userId: user };
}
