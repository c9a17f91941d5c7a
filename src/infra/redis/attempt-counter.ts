// Fixed-window attempt counters in Redis for credential checks (passwords, API keys, Basic
// logins). Each operation is one Lua call, so every instance sees one consistent count:
//
// - take:     reserve an attempt unless the budget is spent (check and increment, atomically);
// - giveBack: return a reserved attempt (the check succeeded: only failures use the budget);
// - peek:     is the budget spent? (for checks that count failures only, see `hit`);
// - hit:      count one failed attempt.
//
// A window starts with the first attempt and lasts `windowMs`; refused attempts do not extend it.
import type { Redis } from 'ioredis';

export interface AttemptVerdict {
  allowed: boolean;
  /** Milliseconds until the window ends (and the budget is whole again). */
  resetMs: number;
}

// KEYS[1] = counter; ARGV[1] = budget, ARGV[2] = window (ms). Returns {1 | 0, remaining ms}.
// A counter left without an expiry (an operator's edit) gets one, so it cannot block forever.
const TAKE = `
local max = tonumber(ARGV[1])
local allowed = 0
if tonumber(redis.call('GET', KEYS[1]) or '0') < max then
  redis.call('INCR', KEYS[1])
  allowed = 1
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {allowed, ttl}`;

// The same as TAKE without the reservation: {0, ttl} once `max` attempts were counted.
const PEEK = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then return {1, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {0, ttl}`;

// A give-back after the window ended must not leave a negative counter without expiry behind.
const GIVE_BACK = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

const HIT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return current`;

type CounterRedis = Redis & {
  attemptTake(key: string, max: number, windowMs: number): Promise<[number, number]>;
  attemptPeek(key: string, max: number, windowMs: number): Promise<[number, number]>;
  attemptGiveBack(key: string): Promise<number>;
  attemptHit(key: string, windowMs: number): Promise<number>;
};

export class AttemptCounter {
  private readonly redis: CounterRedis;

  constructor(
    redis: Redis,
    private readonly options: { max: number; windowMs: number; keyPrefix: string },
  ) {
    if (!('attemptTake' in redis)) {
      redis.defineCommand('attemptTake', { numberOfKeys: 1, lua: TAKE });
      redis.defineCommand('attemptPeek', { numberOfKeys: 1, lua: PEEK });
      redis.defineCommand('attemptGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
      redis.defineCommand('attemptHit', { numberOfKeys: 1, lua: HIT });
    }
    this.redis = redis as CounterRedis;
  }

  async take(key: string): Promise<AttemptVerdict> {
    const [allowed, ttl] = await this.redis.attemptTake(
      this.options.keyPrefix + key,
      this.options.max,
      this.options.windowMs,
    );
    return { allowed: allowed === 1, resetMs: ttl };
  }

  async peek(key: string): Promise<AttemptVerdict> {
    const [allowed, ttl] = await this.redis.attemptPeek(
      this.options.keyPrefix + key,
      this.options.max,
      this.options.windowMs,
    );
    return { allowed: allowed === 1, resetMs: ttl };
  }

  async giveBack(key: string): Promise<void> {
    await this.redis.attemptGiveBack(this.options.keyPrefix + key);
  }

  async hit(key: string): Promise<void> {
    await this.redis.attemptHit(this.options.keyPrefix + key, this.options.windowMs);
  }
}
