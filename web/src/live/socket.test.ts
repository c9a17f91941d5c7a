import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi, json } from '../test/fake-api';
import { backoffDelay, connectLive, type LiveStatus } from './socket';

describe('reconnection backoff', () => {
  it('doubles from about a second and stops growing at 30 s', () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(0, () => 1)).toBe(1_000);
    expect(backoffDelay(3, () => 1)).toBe(8_000);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(20, () => 0)).toBe(15_000);
  });
});

/** A WebSocket stand-in that records what was opened and lets the test drop it. */
class FakeSocket {
  static OPEN = 1;
  static opened: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    });
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  FakeSocket.opened = [];
});

describe('a live socket', () => {
  it('opens with a fresh ticket, reconnects after a drop, and stops on a revoked session', async () => {
    vi.useFakeTimers();
    let tickets = 0;
    fakeApi({ 'POST /api/v1/ws-ticket': () => json({ ticket: `t${++tickets}`, expiresIn: 30 }) });
    vi.stubGlobal('WebSocket', FakeSocket);
    const statuses: LiveStatus[] = [];
    const messages: unknown[] = [];
    const live = connectLive('/ws/chat/lobby', {
      onMessage: (m) => messages.push(m),
      onStatus: (s) => statuses.push(s),
    });

    await vi.waitFor(() => expect(statuses.at(-1)).toBe('open'));
    const first = FakeSocket.opened[0]!;
    expect(first.url).toBe('ws://localhost:3000/ws/chat/lobby?ticket=t1');
    first.onmessage?.({ data: '{"type":"join","text":""}' });
    expect(messages).toEqual([{ type: 'join', text: '' }]);
    expect(live.send({ type: 'message', text: 'hi' })).toBe(true);
    expect(first.sent).toEqual(['{"type":"message","text":"hi"}']);

    first.drop(1001, 'server shutting down');
    expect(statuses.at(-1)).toBe('reconnecting');
    expect(live.send({ type: 'message', text: 'lost' })).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(statuses.at(-1)).toBe('open'));
    expect(FakeSocket.opened[1]!.url).toContain('ticket=t2');

    FakeSocket.opened[1]!.drop(1008, 'session revoked');
    expect(statuses.at(-1)).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.opened).toHaveLength(2);
    live.close();
  });
});
