import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { handleStopSignals, REPEATED_SIGNAL_WINDOW_MS } from '../../src/lib/stop-signals.js';

function setUp() {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  let clock = 0;
  const signals = handleStopSignals(
    { stop: (signal) => calls.push(`stop ${signal}`), force: (signal) => calls.push(`force ${signal}`) },
    { listen: (event, listener) => emitter.on(event, listener), now: () => clock },
  );
  return {
    signals,
    calls,
    send: (signal: 'SIGINT' | 'SIGTERM', at: number) => {
      clock = at;
      emitter.emit(signal, signal);
    },
  };
}

describe('handleStopSignals', () => {
  it('stops on the first signal, ignores its copies within the window, forces on a later one', () => {
    const { calls, send } = setUp();
    send('SIGINT', 0);
    // The terminal's Ctrl-C and the watcher's relayed copy.
    send('SIGINT', 5);
    send('SIGTERM', REPEATED_SIGNAL_WINDOW_MS - 1);
    expect(calls).toEqual(['stop SIGINT']);
    send('SIGINT', REPEATED_SIGNAL_WINDOW_MS);
    expect(calls).toEqual(['stop SIGINT', 'force SIGINT']);
  });

  it('treats a signal during a stop begun for another reason as a repeat', () => {
    const { signals, calls, send } = setUp();
    signals.stopping();
    send('SIGTERM', 10);
    expect(calls).toEqual([]);
    send('SIGTERM', REPEATED_SIGNAL_WINDOW_MS + 1);
    expect(calls).toEqual(['force SIGTERM']);
  });
});
