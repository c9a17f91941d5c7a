// Slowloris: many clients that send their headers a byte at a time. The server drops them once
// HEADERS_TIMEOUT passes, and keeps serving everybody else meanwhile.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../../test/helpers/app.js';

let app: App;
let port = 0;

beforeAll(async () => {
  app = await buildTestApp({ env: { HEADERS_TIMEOUT: '2s', REQUEST_TIMEOUT: '5s' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(() => app.close());

describe('slow clients', () => {
  it('drops header trickles after HEADERS_TIMEOUT while serving normal requests', async () => {
    const closedAt: number[] = [];
    const started = Date.now();
    const sockets = Array.from({ length: 200 }, () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.on('close', () => closedAt.push(Date.now() - started));
      socket.write('GET /api/v1/info HTTP/1.1\r\nHost: x\r\n');
      return socket;
    });
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write('X-Slow: a\r\n');
    }, 300);
    try {
      // Normal clients are served while 200 slow ones hang on.
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/info`);
        expect(response.status).toBe(200);
      }
      const deadline = Date.now() + 8_000;
      while (closedAt.length < sockets.length && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
    }
    expect(closedAt.length).toBe(200);
    // Dropped by the server around the 2 s header deadline, not by our clean-up.
    expect(Math.max(...closedAt)).toBeLessThan(8_000);
    expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(1_500);
  }, 30_000);

  it('drops a body that trickles past REQUEST_TIMEOUT', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on('close', () => resolve(Date.now() - started));
    });
    socket.write(
      'POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    const trickle = setInterval(() => socket.write(' '), 500);
    try {
      const ms = await closed;
      expect(ms).toBeLessThan(9_000);
      expect(response).toMatch(/^HTTP\/1.1 408/);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  }, 20_000);
});
