// Server-Sent Events streams of this instance: framing, heartbeat comments (so proxies and
// load balancers do not cut an idle stream), and a clean end for every stream at shutdown.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface EventStream {
  /** Sends one event; `data` is written as-is, one `data:` line per line of it. */
  send(event: string, data: string): void;
  /** Runs once, whether the client went away or the server ended the stream. */
  onEnd(cleanup: () => void): void;
  /** Sends a last event and ends the stream properly; does nothing once it has ended. */
  end(event: string, data: string): void;
}

/** SSE frame: an event name and its data, each data line prefixed (a newline would end the field). */
export function sseFrame(event: string, data: string, id?: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${lines.join('')}\n`;
}

export class EventStreams {
  private readonly open = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatSeconds: number) {
    // One timer for all streams of the instance, not one per stream.
    this.heartbeat = setInterval(() => {
      for (const response of this.open) response.write(': heartbeat\n\n');
    }, heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Takes over a response that nothing has written to yet. `headers` are the ones the app's
   * hooks already set (CORS, request id...), which a hijacked reply would otherwise drop.
   */
  start(response: ServerResponse, headers: OutgoingHttpHeaders, retryMs = 3000): EventStream {
    const cleanups: Array<() => void> = [];
    let ended = false;
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx: pass events through at once instead of buffering them.
      'x-accel-buffering': 'no',
    });
    // `retry` tells EventSource how long to wait before reconnecting after the stream ends.
    response.write(`retry: ${retryMs}\n: connected\n\n`);
    this.open.add(response);
    response.once('close', () => {
      ended = true;
      this.open.delete(response);
      for (const cleanup of cleanups.splice(0)) cleanup();
    });
    return {
      send: (event, data) => {
        if (!response.writableEnded) response.write(sseFrame(event, data));
      },
      onEnd: (cleanup) => {
        if (ended) cleanup();
        else cleanups.push(cleanup);
      },
      end: (event, data) => {
        if (response.writableEnded) return;
        response.end(sseFrame(event, data));
      },
    };
  }

  /** Ends every stream (the chunked body terminates properly: clients see a clean end, not a reset). */
  endAll(): void {
    clearInterval(this.heartbeat);
    for (const response of this.open) response.end();
  }
}
