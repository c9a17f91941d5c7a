// Call budgets and circuit breakers for optional dependencies (Redis), built on cockatiel's
// timeout and circuit-breaker policies. Only the project's preset is written here, in three
// choices cockatiel leaves to its user:
// - while the one probe of a half-open breaker is in flight, other callers skip at once (cockatiel
//   would queue them behind the probe, each paying up to one more budget);
// - the outage is logged once: cockatiel also fires `onBreak` when a probe fails;
// - a client that reconnected (ioredis' `ready`, after its own ready check) is a better signal
//   than the cool-down: the next call probes at once (a cool-down backoff that ends early).
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
  type IBackoff,
  type TimeoutPolicy,
} from 'cockatiel';

export { BrokenCircuitError, TaskCancelledError, isBrokenCircuitError } from 'cockatiel';

/**
 * Bounds a call: TaskCancelledError after `ms`. The work is not cancelled (a Redis command or a
 * query cannot be taken back); this bounds how long the caller waits for it. No work here reads
 * the abort signal, and aborting it on every return would cost 4-5 times the rest of the call.
 */
export function budget(ms: number): TimeoutPolicy {
  return timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
}

export interface BreakerOptions {
  /** Longest wait on one call; a call past it fails with TaskCancelledError, and counts as a failure. */
  budgetMs: number;
  /** How long the dependency is left alone after a failure before one call probes it. */
  cooldownMs: number;
  /** The breaker opened: once per outage, with the failure that opened it. */
  onOpen?: (err: unknown) => void;
  /** The breaker closed again after having been open. */
  onClose?: () => void;
  /** A client whose `ready` (a reconnection) ends the cool-down: the next call probes. */
  reconnects?: { on(event: 'ready', listener: () => void): unknown };
}

export interface Breaker {
  /**
   * Runs `work` within the budget and records its outcome. BrokenCircuitError, without asking
   * the dependency, for `cooldownMs` after a failure and while the probe that follows is in flight.
   */
  execute<T>(work: () => PromiseLike<T>): Promise<T>;
  readonly isOpen: boolean;
}

/**
 * A timeout bounds one wait, but a dependency that stalls (a frozen Redis keeps its connections
 * open) would still cost that wait on every request; the breaker opens on the first failure and
 * lets one call through per cool-down, so an outage costs one bounded wait per cool-down.
 */
export function createBreaker(options: BreakerOptions): Breaker {
  let reconnections = 0;
  options.reconnects?.on('ready', () => {
    reconnections += 1;
  });
  const coolDown = {
    next(): IBackoff<unknown> {
      const openedAfter = reconnections;
      return {
        get duration() {
          return reconnections === openedAfter ? options.cooldownMs : 0;
        },
        next: coolDown.next,
      };
    },
  };
  const policy = circuitBreaker(handleAll, { breaker: new ConsecutiveBreaker(1), halfOpenAfter: coolDown });
  let outage = false;
  policy.onBreak((reason) => {
    if (outage) return;
    outage = true;
    options.onOpen?.('error' in reason ? reason.error : reason);
  });
  policy.onReset(() => {
    outage = false;
    options.onClose?.();
  });
  const bounded = wrap(policy, budget(options.budgetMs));
  return {
    get isOpen() {
      return policy.state !== CircuitState.Closed;
    },
    execute(work) {
      if (policy.state === CircuitState.HalfOpen)
        return Promise.reject(new BrokenCircuitError('skipped: the probe of the dependency is in flight'));
      return bounded.execute(() => work());
    },
  };
}

/** A breaker for the calls on one Redis client: its reconnection ends the cool-down. */
export function redisBreaker(
  redis: NonNullable<BreakerOptions['reconnects']>,
  options: Omit<BreakerOptions, 'reconnects'>,
): Breaker {
  return createBreaker({ ...options, reconnects: redis });
}
