// Without OTEL_EXPORTER_OTLP_ENDPOINT the preload returns at once: the api starts, serves, and
// stops without resolving a single OpenTelemetry module (so tracing off costs nothing).
import { describe, expect, it } from 'vitest';
import { testEnv } from '../../helpers/app.js';
import { ChildProcessHandle } from '../../helpers/child-process.js';

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('loads no OpenTelemetry module in the api', async () => {
    const api = ChildProcessHandle.spawnTs(
      'src/server.ts',
      testEnv({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DRAIN_DELAY: '0' }),
      ['./test/infra/telemetry/fixtures/report-otel-modules.ts', './src/infra/telemetry/preload.ts'],
    );
    try {
      await api.waitForOutput(/api ready: http/, 90_000);
      const url = /api ready: (http:\/\/[^\s)]+)/.exec(api.output)![1]!;
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      expect(await api.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(api.output).toContain('telemetry modules loaded: []');
      expect(api.output).not.toMatch(/"trace_id"/);
    } finally {
      await api.kill('SIGKILL');
    }
  }, 120_000);
});
