/**
 * A stop signal this soon after the first is the same one delivered twice, not a request to
 * exit at once: Ctrl-C signals the terminal's whole process group, and a watcher in it (tsx
 * watch, concurrently) relays the signal to its child as well.
 */
export const REPEATED_SIGNAL_WINDOW_MS = 1_000;

export interface StopSignalHandlers {
  /** The first SIGINT or SIGTERM: stop gracefully. */
  stop(signal: NodeJS.Signals): void;
  /** Another one after the window (someone pressed Ctrl-C again): exit now. */
  force(signal: NodeJS.Signals): void;
}

type Listen = (event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void) => unknown;

/**
 * Listens for SIGINT and SIGTERM for the rest of the process's life: the first calls `stop`,
 * repeats within `windowMs` are ignored, a later one calls `force`. Returns `stopping()`, which
 * marks a stop begun for another reason (an error): signals then force. `listen` and `now` are
 * the process's and the clock's (tests give others).
 */
export function handleStopSignals(
  handlers: StopSignalHandlers,
  {
    windowMs = REPEATED_SIGNAL_WINDOW_MS,
    listen = (event, listener) => process.on(event, listener),
    now = Date.now,
  }: { windowMs?: number; listen?: Listen; now?: () => number } = {},
): { stopping(): void } {
  let since: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (since === undefined) {
      since = now();
      handlers.stop(signal);
    } else if (now() - since >= windowMs) {
      handlers.force(signal);
    }
  };
  listen('SIGINT', onSignal);
  listen('SIGTERM', onSignal);
  return {
    stopping() {
      since ??= now();
    },
  };
}
