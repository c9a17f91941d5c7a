// The session watch on its own, over the real Redis hub: which connections a revocation ends,
// which ones it only makes check themselves again, garbage on the channel, a failed subscription.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisHub } from '../../../src/infra/realtime/hub.js';
import { parseRevocation, publishRevocation, revocationChannel } from '../../../src/infra/realtime/revocations.js';
import { SessionWatch, type EndReason, type WatchedConnection } from '../../../src/modules/realtime/session-watch.js';

const prefix = `${inject('redisPrefix')}watch-${randomBytes(3).toString('hex')}:`;
let subscriber: Redis;
let publisher: Redis;
let watch: SessionWatch;

beforeAll(() => {
  subscriber = new Redis(inject('redisUrl'));
  publisher = new Redis(inject('redisUrl'));
  watch = new SessionWatch(new RedisHub(subscriber, publisher), revocationChannel(prefix));
});
afterAll(async () => {
  await Promise.all([subscriber.quit(), publisher.quit()]);
});

function connection(userId: number, sessionId: string | undefined, valid = true) {
  const ended: EndReason[] = [];
  const checks = { count: 0 };
  const conn: WatchedConnection = {
    userId,
    sessionId,
    stillValid: async () => {
      checks.count += 1;
      return valid;
    },
    end: (reason) => ended.push(reason),
  };
  return { conn, ended, checks };
}

const later = () => Date.now() + 60_000;

describe('SessionWatch', () => {
  it("ends the connections of a revoked session at once, and rechecks the user's others on a user-wide revocation", async () => {
    const sid = randomUUID();
    const same = connection(1, sid);
    const otherSession = connection(1, randomUUID());
    const apiKeyValid = connection(1, undefined, true);
    const apiKeyRevoked = connection(1, undefined, false);
    const otherUser = connection(2, randomUUID());
    const stops = await Promise.all(
      [same, otherSession, apiKeyValid, apiKeyRevoked, otherUser].map((c) => watch.guard(c.conn, later())),
    );
    // The check right after subscribing already ended the connection whose credential is gone.
    await vi.waitFor(() => expect(apiKeyRevoked.ended).toEqual(['revoked']));

    await publishRevocation(publisher, prefix, { sessionIds: [sid] });
    await vi.waitFor(() => expect(same.ended).toEqual(['revoked']));
    expect(otherSession.ended).toEqual([]);

    const checksBefore = apiKeyValid.checks.count;
    await publishRevocation(publisher, prefix, { sessionIds: [], userId: 1 });
    await vi.waitFor(() => expect(apiKeyValid.checks.count).toBe(checksBefore + 1));
    expect(apiKeyValid.ended).toEqual([]);
    expect(otherUser.ended).toEqual([]);
    expect(otherUser.checks.count).toBe(1);
    for (const stop of stops) stop();
    expect(watch.size).toBe(0);
  });

  it('ends a connection at its expiry, and not after it was stopped', async () => {
    const expiring = connection(3, randomUUID());
    const stopExpiring = await watch.guard(expiring.conn, Date.now() + 200);
    const stopped = connection(3, randomUUID());
    const stop = await watch.guard(stopped.conn, Date.now() + 200);
    stop();
    await vi.waitFor(() => expect(expiring.ended).toEqual(['expired']));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped.ended).toEqual([]);
    stopExpiring();
  });

  it('rejects the guard when revocations cannot be subscribed, and tries again for the next connection', async () => {
    const failing = new SessionWatch(
      { publish: async () => {}, subscribe: async () => Promise.reject(new Error('subscriber down')) },
      revocationChannel(prefix),
    );
    await expect(failing.guard(connection(4, randomUUID()).conn, later())).rejects.toThrow('subscriber down');
    expect(failing.size).toBe(0);
    await expect(failing.guard(connection(4, randomUUID()).conn, later())).rejects.toThrow('subscriber down');
  });
});

describe('parseRevocation', () => {
  it('reads revocations and ignores anything else on the channel', () => {
    expect(parseRevocation('{"sessionIds":["a"],"userId":7}')).toEqual({ sessionIds: ['a'], userId: 7 });
    expect(parseRevocation(Buffer.from('{"sessionIds":["a",3]}'))).toEqual({ sessionIds: ['a'] });
    for (const garbage of ['not json', 'null', '42', '{}', '{"sessionIds":[]}', '{"userId":"7"}', '{"userId":1.5}'])
      expect(parseRevocation(garbage)).toBeUndefined();
  });
});
