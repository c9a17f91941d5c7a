// The development log format (npm run dev): the app's real log lines, as pino-pretty renders
// them in development. One line per request, one per message with its fields inline, and an
// error with its stack; redaction has already happened in the JSON line.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/compose/api.js';
import { developmentFormat } from '../src/infra/logging.js';
import { buildTestApp } from './helpers/app.js';
import { createUser } from './helpers/factories/users.js';

let app: App;
const lines: string[] = [];
const format = developmentFormat({ colorize: false });

beforeAll(async () => {
  app = await buildTestApp({
    env: { LOG_LEVEL: 'info' },
    logStream: { write: (line) => void lines.push(line) },
    extend: (instance) =>
      instance.get('/test/boom', async () => {
        throw new Error('kaput');
      }),
  });
});
afterAll(() => app.close());

/** What a developer sees for one request, line by line. */
async function shown(options: InjectOptions): Promise<string[]> {
  lines.length = 0;
  await app.inject(options);
  return lines.map(format).join('').split('\n').filter(Boolean);
}

describe('development log format', () => {
  it('shows a request as one line: method, URL, status, time', async () => {
    expect(await shown({ method: 'GET', url: '/api/v1/items?limit=1' })).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/api\/v1\/items\?limit=1 200 \d+\.\d ms$/),
    ]);
    expect(await shown({ method: 'GET', url: '/api/v1/nowhere' })).toEqual([
      expect.stringMatching(/INFO: GET \/api\/v1\/nowhere 404 \d+\.\d ms$/),
    ]);
  });

  it('adds the reason of a refused request on a line of its own', async () => {
    expect(await shown({ method: 'POST', url: '/api/v1/items', payload: { name: 'x', price: 1 } })).toEqual([
      expect.stringMatching(/INFO: Authentication is required \{"status":401,"code":"unauthorized"\}$/),
      expect.stringMatching(/INFO: POST \/api\/v1\/items 401 \d+\.\d ms$/),
    ]);
  });

  it('keeps the stack of an error', async () => {
    const shownLines = await shown({ method: 'GET', url: '/test/boom' });
    expect(shownLines[0]).toMatch(/ERROR: request failed/);
    expect(shownLines.join('\n')).toMatch(/Error: kaput\n\s+at /);
    expect(shownLines.at(-1)).toMatch(/INFO: GET \/test\/boom 500 \d+\.\d ms$/);
  });

  it('shows a secret in a URL as redacted, as in production', async () => {
    const user = await createUser(app);
    const shownLines = await shown({
      method: 'GET',
      url: `/api/v1/users/me?token=${user.accessToken}`,
      headers: user.headers,
    });
    expect(shownLines).toEqual([expect.stringMatching(/GET \/api\/v1\/users\/me\?token=\[redacted\] 200 /)]);
    expect(shownLines.join('\n')).not.toContain(user.accessToken);
  });

  it('prints other messages with their fields inline', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.now(),
      pid: 1,
      hostname: 'h',
      process: 'worker',
      msg: 'worker started',
      queues: 'all',
      concurrency: 5,
    });
    expect(format(line)).toMatch(/^\[[\d:.]+\] INFO: worker started \{"queues":"all","concurrency":5\}\n$/);
  });
});
