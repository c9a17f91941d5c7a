// Real clients for the real-time tests: app instances listening on loopback ports (sharing the
// run's database and Redis prefix, like replicas behind a load balancer), `ws` sockets with an
// inbox to wait on, and a raw SSE reader.
import http from 'node:http';
import { WebSocket } from 'ws';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, type TestAppOptions } from '../../helpers/app.js';

export interface Instance {
  app: App;
  http: string;
  ws: string;
}

export async function startInstance(options: TestAppOptions = {}): Promise<Instance> {
  const app = await buildTestApp(options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, http: `http://127.0.0.1:${address.port}`, ws: `ws://127.0.0.1:${address.port}` };
}

/** How long a wait may take before the test fails with a clear message (a guard, not an assertion). */
const WAIT_MS = 8_000;

export class Client {
  readonly messages: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const text = data.toString();
      let value: unknown = text;
      if (!isBinary) {
        try {
          value = JSON.parse(text);
        } catch {
          // plain text (echo)
        }
      }
      this.messages.push(value);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Resolves with the first message (already received or future) matching `predicate`. */
  async waitFor<T = Record<string, unknown>>(
    predicate: (message: T) => boolean,
    label = 'a matching message',
  ): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = (this.messages as T[]).find((message) => predicate(message));
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${label}; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  sendJson(value: unknown): void {
    this.socket.send(JSON.stringify(value));
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

export function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    // Attach the inbox before 'open' so nothing sent right after the handshake is missed.
    const client = new Client(socket);
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), {
            statusCode: response.statusCode,
            headers: response.headers,
            body,
          }),
        ),
      );
    });
  });
}

/** Connects and waits until the server announced this user's join (the subscription is live). */
export async function joinRoom(
  instance: Instance,
  room: string,
  user: { id: number; accessToken: string },
): Promise<Client> {
  const client = await connect(`${instance.ws}/ws/chat/${room}`, { authorization: `Bearer ${user.accessToken}` });
  await client.waitFor((m: ChatFrame) => m.type === 'join' && m.user?.id === user.id, 'own join notice');
  return client;
}

export interface ChatFrame {
  type: string;
  room: string;
  user: { id: number; name: string };
  text: string;
  at: string;
}

export interface SseEvent {
  event?: string;
  data?: string;
  comment?: string;
}

/** A raw SSE reader over node:http (status, headers, parsed events, and how the stream ended). */
export class SseReader {
  readonly events: SseEvent[] = [];
  ended: 'end' | 'aborted' | undefined;
  private buffer = '';

  private constructor(
    readonly request: http.ClientRequest,
    readonly response: http.IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.parse(chunk));
    response.on('end', () => (this.ended ??= 'end'));
    response.on('aborted', () => (this.ended = 'aborted'));
    response.on('error', () => (this.ended ??= 'aborted'));
  }

  static open(url: string, headers: Record<string, string>): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new SseReader(request, response)),
      );
      request.on('error', reject);
    });
  }

  async waitFor(predicate: (event: SseEvent) => boolean, label = 'a matching event'): Promise<SseEvent> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; got ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async waitForEnd(): Promise<'end' | 'aborted'> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the stream to end');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.ended;
  }

  close(): void {
    this.request.destroy();
  }

  private parse(chunk: string): void {
    this.buffer += chunk;
    let boundary: number;
    while ((boundary = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: '))
          event.data = event.data === undefined ? line.slice(6) : `${event.data}\n${line.slice(6)}`;
      }
      this.events.push(event);
    }
  }
}

/** Polls until `check` is true (state that converges asynchronously, e.g. a Redis unsubscribe). */
export async function eventually(check: () => boolean | Promise<boolean>, label: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
