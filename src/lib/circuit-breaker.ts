// A circuit breaker for an optional dependency (Redis), and one tied to a Redis client whose
// reconnection ends the cool-down early.
import { withTimeout } from './with-timeout.js';

/** Thrown by `CircuitBreaker.call` while the breaker is open: the dependency was not asked. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
}

export interface CircuitBreakerOptions {
  /** How long the dependency is left alone after a failure before one call probes it. */
  cooldownMs: number;
  /** The breaker opened: once per outage, with the failure that opened it. */
  onOpen?: (err: unknown) => void;
  /** The breaker closed again after having been open. */
  onClose?: () => void;
  now?: () => number;
}

/**
 * A circuit breaker for an optional dependency. A timeout bounds one wait, but a dependency
 * that stalls (a frozen Redis keeps its connections open) would still cost that wait on every
 * request; after a failure the breaker answers "skip it" at once for `cooldownMs`, then lets
 * ONE call through as a probe (concurrent callers keep skipping) whose outcome closes or
 * re-opens it. An outage thus costs one bounded wait per cool-down, not one per request.
 */
export class CircuitBreaker {
  /** When the breaker last opened; undefined while it is closed. */
  private openedAt: number | undefined;
  /** When the probe in flight was let through; undefined when there is none. */
  private probeAt: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** Whether a call may go to the dependency now; true at most once per cool-down while open. */
  allow(): boolean {
    if (this.openedAt === undefined) return true;
    const now = this.now();
    if (now - this.openedAt < this.options.cooldownMs) return false;
    // A probe whose outcome was never reported (a caller that forgot) must not block forever.
    if (this.probeAt !== undefined && now - this.probeAt < this.options.cooldownMs) return false;
    this.probeAt = now;
    return true;
  }

  success(): void {
    const wasOpen = this.openedAt !== undefined;
    this.openedAt = undefined;
    this.probeAt = undefined;
    if (wasOpen) this.options.onClose?.();
  }

  failure(err: unknown): void {
    const wasOpen = this.openedAt !== undefined;
    this.openedAt = this.now();
    this.probeAt = undefined;
    if (!wasOpen) this.options.onOpen?.(err);
  }

  /** Ends the cool-down early, e.g. when the client has just reconnected: the next call probes. */
  retryNow(): void {
    if (this.openedAt === undefined) return;
    this.openedAt = Number.NEGATIVE_INFINITY;
    this.probeAt = undefined;
  }

  /** Runs `work` bounded by `timeoutMs` and records its outcome; CircuitOpenError while open. */
  async call<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (!this.allow()) throw new CircuitOpenError('skipped: the dependency failed recently');
    try {
      const result = await withTimeout(work(), timeoutMs);
      this.success();
      return result;
    } catch (err) {
      this.failure(err);
      throw err;
    }
  }
}

/**
 * A breaker for calls on one Redis client: a client that reconnected (ioredis' `ready`, after
 * its own ready check) is a better signal than the cool-down, so the next call probes at once.
 */
export function redisCircuitBreaker(
  redis: { on(event: 'ready', listener: () => void): unknown },
  options: CircuitBreakerOptions,
): CircuitBreaker {
  const breaker = new CircuitBreaker(options);
  redis.on('ready', () => breaker.retryNow());
  return breaker;
}
