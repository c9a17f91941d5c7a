// The contract between whoever produces user notifications (the worker, services) and whoever
// delivers them (WebSocket and SSE on any api instance): one Redis pub/sub channel per user.
// Channel names are not touched by ioredis' keyPrefix, so the prefix is added here explicitly.

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
  await redis.publish(userChannel(redisPrefix, userId), JSON.stringify(notification));
}
