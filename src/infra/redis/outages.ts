// Every long-lived Redis connection (commands, queues, the pub/sub subscriber, the worker's)
// reports an outage once when it starts and once when it ends, not once per failed command or
// reconnection attempt: a Redis that is down for a minute would otherwise fill the log.
import type { Logger } from '../../lib/logger.js';

interface ConnectionEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/** Logs `<what> unavailable` on the first error of an outage and `<what> restored` when it is ready again. */
export function logOutagesOnce(connection: ConnectionEvents, log: Logger, what: string): void {
  let down = false;
  connection.on('error', (err) => {
    if (!down) log.warn({ err }, `${what} unavailable`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) log.info(`${what} restored`);
    down = false;
  });
}
