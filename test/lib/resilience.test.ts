// The project's breaker preset on cockatiel: open on the first failure, skip for the cool-down,
// one probe at a time, one open/close event per outage, and a reconnection that ends the
// cool-down. Only Date is faked (cockatiel reads the cool-down from Date.now); budgets use real timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, TaskCancelledError, budget, redisBreaker } from '../../src/lib/resilience.js';

describe('budget', () => {
  it('rejects with TaskCancelledError when the work outlasts it, and passes results through', async () => {
    await expect(budget(10).execute(() => new Promise<never>(() => {}))).rejects.toBeInstanceOf(TaskCancelledError);
    expect(await budget(1_000).execute(async () => 42)).toBe(42);
    await expect(budget(1_000).execute(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });
});

describe('redisBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('skips for the cool-down after a failure, then lets one probe through', async () => {
    const events: string[] = [];
    let reconnect = () => {};
    const client = { on: (_event: 'ready', listener: () => void) => (reconnect = listener) };
    const breaker = redisBreaker(client, {
      budgetMs: 50,
      cooldownMs: 5_000,
      onOpen: () => events.push('open'),
      onClose: () => events.push('close'),
    });
    let asked = 0;
    const answer = async () => {
      asked += 1;
      return 'ok';
    };

    // A stall costs the budget once; then the dependency is not asked for the cool-down.
    await expect(breaker.execute(() => new Promise<never>(() => {}))).rejects.toBeInstanceOf(TaskCancelledError);
    await expect(breaker.execute(answer)).rejects.toBeInstanceOf(BrokenCircuitError);
    vi.setSystemTime(4_999);
    await expect(breaker.execute(answer)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(asked).toBe(0);
    expect(breaker.isOpen).toBe(true);

    vi.setSystemTime(5_000);
    let finishProbe!: (value: string) => void;
    const probe = breaker.execute(() => new Promise<string>((resolve) => (finishProbe = resolve)));
    // Only one probe at a time: the others keep skipping while it is in flight.
    await expect(breaker.execute(answer)).rejects.toBeInstanceOf(BrokenCircuitError);
    finishProbe('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breaker.isOpen).toBe(false);
    expect(await breaker.execute(answer)).toBe('ok');

    // A second outage: one more warning, none for a failed probe; a reconnection ends the cool-down early.
    await expect(breaker.execute(() => Promise.reject(new Error('connection lost')))).rejects.toThrow(
      'connection lost',
    );
    vi.setSystemTime(10_000);
    await expect(breaker.execute(() => Promise.reject(new Error('still lost')))).rejects.toThrow('still lost');
    await expect(breaker.execute(answer)).rejects.toBeInstanceOf(BrokenCircuitError);
    reconnect();
    expect(await breaker.execute(answer)).toBe('ok');
    expect(asked).toBe(2);
    expect(events).toEqual(['open', 'close', 'open', 'close']);
  });
});
