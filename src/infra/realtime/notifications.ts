// The contract between whoever produces user notifications (the worker, services) and whoever
// delivers them (WebSocket and SSE on any api instance): one Redis pub/sub channel per user.
// Channel names are not touched by ioredis' keyPrefix, so the prefix is added here explicitly.
import { messageTracing } from '../telemetry/hooks.js';

export type Notification =
  | { type: 'job.progress'; jobId: string; queue: string; progress: number | object }
  | { type: 'job.completed'; jobId: string; queue: string; result?: unknown }
  | { type: 'job.failed'; jobId: string; queue: string; error: string };

export function userChannel(redisPrefix: string, userId: number): string {
  return `${redisPrefix}events:user:${userId}`;
}

export interface Publisher {
  publish(channel: string, message: string): Promise<number>;
}

export async function publishNotification(
  redis: Publisher,
  redisPrefix: string,
  userId: number,
  notification: Notification,
): Promise<void> {
  // With tracing on, the W3C traceparent of the publishing span (the job's, in the worker) rides
  // along, so the api's delivery to the user's connections joins the job's trace. Off: nothing.
  const traceparent = messageTracing()?.traceparent();
  const message = traceparent ? { ...notification, traceparent } : notification;
  await redis.publish(userChannel(redisPrefix, userId), JSON.stringify(message));
}

/** The type and traceparent of a published notification; whatever is missing or not a string is undefined. */
export function notificationHeader(message: Buffer): { type?: string; traceparent?: string } {
  let value: unknown;
  try {
    value = JSON.parse(message.toString('utf8'));
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const { type, traceparent } = value as { type?: unknown; traceparent?: unknown };
  return {
    type: typeof type === 'string' ? type : undefined,
    traceparent: typeof traceparent === 'string' ? traceparent : undefined,
  };
}
