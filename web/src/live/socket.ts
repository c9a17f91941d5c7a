// A WebSocket to the api that stays up: authenticated with a single-use ticket (browsers cannot
// set headers on a WebSocket, and a token in the URL would end up in access logs), reopened with
// exponential backoff and jitter when it drops, e.g. when an api instance restarts.
import { api, unwrap } from '../api/client';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveHandlers<T> {
  onMessage: (message: T) => void;
  onStatus: (status: LiveStatus) => void;
}

const MAX_DELAY_MS = 30_000;

/** Delay before reconnection attempt `attempt` (0-based): 0.5-1 s, 1-2 s, 2-4 s, ... up to 30 s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, 1_000 * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

function socketUrl(path: string, ticket: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('ticket', ticket);
  return url.toString();
}

export interface LiveConnection {
  /** Sends a JSON frame; false when the socket is not open (the caller says so to the user). */
  send: (frame: unknown) => boolean;
  close: () => void;
}

/** Opens `path` (e.g. /ws/chat/lobby) and keeps it open until `close()`. */
export function connectLive<T>(path: string, handlers: LiveHandlers<T>): LiveConnection {
  let stopped = false;
  let attempt = 0;
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped) return;
    handlers.onStatus('reconnecting');
    timer = setTimeout(() => void open(), backoffDelay(attempt++));
  };

  const open = async () => {
    if (stopped) return;
    handlers.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    let ticket: string;
    try {
      // Through the api client: an expired access token is refreshed first.
      ticket = (await unwrap(api.POST('/api/v1/ws-ticket'))).ticket;
    } catch {
      retry();
      return;
    }
    if (stopped) return;
    const current = new WebSocket(socketUrl(path, ticket));
    socket = current;
    current.onopen = () => {
      attempt = 0;
      handlers.onStatus('open');
    };
    current.onmessage = (event: MessageEvent<string>) => {
      try {
        handlers.onMessage(JSON.parse(event.data) as T);
      } catch {
        // Not JSON: not a frame of this protocol; ignore it.
      }
    };
    current.onclose = (event) => {
      if (socket === current) socket = null;
      // 1008 "session revoked": signing in again is needed, reconnecting would fail. Any other
      // close (instance shutdown 1001, expired token 1008, Redis down 1011, network) is retried.
      if (event.code === 1008 && /revoked/i.test(event.reason)) {
        handlers.onStatus('closed');
        return;
      }
      retry();
    };
  };

  void open();
  return {
    send: (frame) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    close: () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000);
      socket = null;
    },
  };
}
