// Sending to one socket with a bound on what may pile up for it: a client that reads slower
// than the room talks would otherwise grow this process's memory without limit.
import type { WebSocket } from 'ws';

/** Bytes queued for one socket beyond which it is dropped as a slow consumer. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Sends a text frame; a Buffer must hold UTF-8 (it is framed as it is, without a copy). */
export function sendOrDrop(socket: WebSocket, frame: string | Buffer): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(frame, { binary: false });
}
