// The small pieces on their own: token bucket, SSE framing, the hub's reference-counted
// subscriptions (against the real Redis) and the OpenAPI description of the endpoints.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { inject } from 'vitest';
import { redactUrl } from '../../../src/infra/logging.js';
import { sseFrame } from '../../../src/infra/realtime/event-streams.js';
import { RedisHub } from '../../../src/infra/realtime/hub.js';
import { TokenBucket } from '../../../src/modules/realtime/rate-limiter.js';
import { MAX_BUFFERED_BYTES, sendOrDrop } from '../../../src/modules/realtime/websocket-send.js';
import { buildTestApp } from '../../helpers/app.js';
import { eventually } from './realtime-clients.js';

describe('TokenBucket', () => {
  it('allows a burst, then the steady rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 500; // half a second at 2 per second: one more
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 60_000; // refills up to the burst, not beyond
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('sendOrDrop', () => {
  const socket = (bufferedAmount: number, readyState = 1) => {
    const calls: string[] = [];
    const fake = {
      OPEN: 1,
      readyState,
      bufferedAmount,
      send: (frame: string) => calls.push(`send ${frame}`),
      terminate: () => calls.push('terminate'),
    };
    return { calls, socket: fake as unknown as WebSocket };
  };

  it('sends while the socket keeps up, drops a slow consumer, and skips closed sockets', () => {
    const fast = socket(0);
    sendOrDrop(fast.socket, 'x');
    expect(fast.calls).toEqual(['send x']);
    const slow = socket(MAX_BUFFERED_BYTES + 1);
    sendOrDrop(slow.socket, 'x');
    expect(slow.calls).toEqual(['terminate']);
    const closed = socket(0, 3);
    sendOrDrop(closed.socket, 'x');
    expect(closed.calls).toEqual([]);
  });
});

describe('redactUrl', () => {
  it('hides credentials in query strings and keeps the rest', () => {
    expect(redactUrl('/ws/chat/lobby?token=abc.def&x=1')).toBe('/ws/chat/lobby?token=[redacted]&x=1');
    expect(redactUrl('/a?x=1&access_token=s3cret&y=2')).toBe('/a?x=1&access_token=[redacted]&y=2');
    expect(redactUrl('/ws/echo')).toBe('/ws/echo');
  });

  it('matches parameter names once decoded and case-insensitively, for every secret-bearing name', () => {
    // What a query parser reads as `token` is redacted however it was written.
    expect(redactUrl('/ws/notifications?%74oken=abc')).toBe('/ws/notifications?%74oken=[redacted]');
    expect(redactUrl('/a?%2574oken=abc')).toBe('/a?%2574oken=[redacted]');
    expect(redactUrl('/a?TOKEN=abc&Ticket=def')).toBe('/a?TOKEN=[redacted]&Ticket=[redacted]');
    expect(redactUrl('/a?token+=abc&token%20=def')).toBe('/a?token+=[redacted]&token%20=[redacted]');
    expect(redactUrl('/a?token%5B%5D=abc')).toBe('/a?token%5B%5D=[redacted]');
    for (const name of [
      'ticket',
      'refresh_token',
      'api_key',
      'apikey',
      'key',
      'password',
      'client_secret',
      'code',
      'signature',
    ]) {
      expect(redactUrl(`/a?${name}=s3cret`)).toBe(`/a?${name}=[redacted]`);
    }
    // A name without a value, a bad escape, and a malformed name that is not `token`.
    expect(redactUrl('/a?token')).toBe('/a?token=[redacted]');
    expect(redactUrl('/a?%E0%A4%A=1&ticket=x')).toBe('/a?%E0%A4%A=1&ticket=[redacted]');
    expect(redactUrl('/a?tok%en=1')).toBe('/a?tok%en=1');
  });

  it('does not let `;` or `#` hide a parameter, and cuts a secret value containing them', () => {
    expect(redactUrl('/a?x=1;ticket=abc')).toBe('/a?x=1;ticket=[redacted]');
    expect(redactUrl('/a?x=1#token=abc')).toBe('/a?x=1#token=[redacted]');
    expect(redactUrl('/a?token=abc;def#ghi&y=2')).toBe('/a?token=[redacted]&y=2');
  });
});

describe('sseFrame', () => {
  it('names the event and prefixes every data line', () => {
    expect(sseFrame('job.progress', '{"a":1}')).toBe('event: job.progress\ndata: {"a":1}\n\n');
    expect(sseFrame('note', 'one\ntwo\r\nthree', '7')).toBe(
      'id: 7\nevent: note\ndata: one\ndata: two\ndata: three\n\n',
    );
  });
});

describe('RedisHub', () => {
  const url = inject('redisUrl');
  const connections: Redis[] = [];
  const redis = () => {
    const connection = new Redis(url, { lazyConnect: false });
    connections.push(connection);
    return connection;
  };
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('subscribes once per channel per instance and unsubscribes with the last listener', async () => {
    const publisher = redis();
    const hub = new RedisHub(redis(), publisher);
    const channel = `${inject('redisPrefix')}unit:${randomBytes(4).toString('hex')}`;
    const numsub = async () => Number(((await publisher.pubsub('NUMSUB', channel)) as [string, number])[1]);
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = await hub.subscribe(channel, (m) => first.push(m.toString()));
    const stopSecond = await hub.subscribe(channel, (m) => second.push(m.toString()));
    expect(await numsub()).toBe(1);
    await hub.publish(channel, 'one');
    await eventually(() => first.length === 1 && second.length === 1, 'both listeners got it');
    stopFirst();
    stopFirst(); // idempotent
    expect(hub.localListeners(channel)).toBe(1);
    expect(await numsub()).toBe(1);
    await hub.publish(channel, 'two');
    await eventually(() => second.length === 2, 'the remaining listener got it');
    expect(first).toEqual(['one']);
    stopSecond();
    await eventually(async () => (await numsub()) === 0, 'unsubscribed from Redis');
    // Resubscribing after the last listener left works again.
    const third: string[] = [];
    const stopThird = await hub.subscribe(channel, (m) => third.push(m.toString()));
    await hub.publish(channel, 'three');
    await eventually(() => third.length === 1, 'resubscribed');
    stopThird();
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const errors: unknown[] = [];
    const hub = new RedisHub(redis(), redis(), (err) => errors.push(err));
    const channel = `${inject('redisPrefix')}unit:${randomBytes(4).toString('hex')}`;
    const got: string[] = [];
    await hub.subscribe(channel, () => {
      throw new Error('listener bug');
    });
    await hub.subscribe(channel, (m) => got.push(m.toString()));
    await hub.publish(channel, 'x');
    await eventually(() => got.length === 1, 'the healthy listener got it');
    expect(errors).toHaveLength(1);
  });

  it("wraps each message's delivery to all local listeners once (the feed's tracing span)", async () => {
    const hub = new RedisHub(redis(), redis());
    const channel = `${inject('redisPrefix')}unit:${randomBytes(4).toString('hex')}`;
    const log: string[] = [];
    const delivery = (message: Buffer, deliverToAll: () => void) => {
      log.push(`before ${message.toString()}`);
      deliverToAll();
      log.push('after');
    };
    await hub.subscribe(channel, (m) => log.push(`a ${m.toString()}`), delivery);
    await hub.subscribe(channel, (m) => log.push(`b ${m.toString()}`), delivery);
    await hub.publish(channel, 'x');
    await eventually(() => log.length === 4, 'delivered');
    expect(log).toEqual(['before x', 'a x', 'b x', 'after']);
  });

  it('rejects a subscription when Redis is unreachable, and forgets the listener', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const hub = new RedisHub(down, down);
    await expect(hub.subscribe('nowhere', () => {})).rejects.toThrow();
    expect(hub.localListeners('nowhere')).toBe(0);
    down.disconnect();
  });
});

describe('OpenAPI description', () => {
  it('documents the WebSocket frames under x-websocket and SSE as text/event-stream', async () => {
    const app = await buildTestApp();
    try {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<
          string,
          { get: Record<string, unknown> & { responses: Record<string, { content?: Record<string, unknown> }> } }
        >;
        tags: Array<{ name: string }>;
      }>();
      const chat = doc.paths['/ws/chat/{room}']?.get;
      expect(chat?.tags).toEqual(['realtime']);
      expect(chat?.responses).toHaveProperty('101');
      expect(chat?.responses).toHaveProperty('401');
      expect(chat?.['x-websocket']).toMatchObject({
        clientMessages: { title: 'ChatClientMessage' },
        serverMessages: {
          title: 'ChatServerMessage',
          properties: {
            type: expect.anything(),
            room: expect.anything(),
            user: expect.anything(),
            at: expect.anything(),
          },
        },
        closeCodes: { '1001': expect.any(String), '1009': expect.any(String) },
      });
      expect(doc.paths['/ws/notifications']?.get['x-websocket']).toMatchObject({
        serverMessages: { title: 'Notification' },
      });
      expect(doc.paths['/ws/echo']?.get).toBeDefined();
      expect(Object.keys(doc.paths['/api/v1/events']?.get.responses['200']?.content ?? {})).toEqual([
        'text/event-stream',
      ]);
      expect(doc.tags.map((t) => t.name)).toContain('realtime');
    } finally {
      await app.close();
    }
  });
});
