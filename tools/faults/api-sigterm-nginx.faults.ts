// SIGTERM to one of two api processes behind the project's real nginx configuration, while
// reads and writes run and a slow download is in flight: not one request fails, the download
// completes byte for byte, every acknowledged write is in the database exactly once, and the
// signalled process drains and exits 0.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNginxConfig } from '../../scripts/lib/nginx-config.mjs';
import { ProcessGroup, freePort, waitFor } from '../../scripts/lib/processes.mjs';
import { testEnv } from '../../test/helpers/app.js';
import { multipart } from '../../test/modules/files/multipart.js';
import { ChildProcessHandle } from '../../test/helpers/child-process.js';

const projectDir = path.resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faults-nginx-'));
const nginx = new ProcessGroup(tmp);
const apis: ChildProcessHandle[] = [];
let base = '';

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  const httpPort = await freePort();
  // DRAIN_DELAY as in compose: new requests get 503 (retried by nginx) before the listener closes.
  const env = testEnv({
    LOG_LEVEL: 'info',
    TRUST_PROXY: '127.0.0.1',
    HOST: '127.0.0.1',
    UPLOAD_DIR: path.join(tmp, 'uploads'),
    DRAIN_DELAY: '2s',
  });
  for (const port of ports) apis.push(ChildProcessHandle.spawnTs('src/server.ts', { ...env, PORT: String(port) }));
  await Promise.all(apis.map((api) => api.waitForOutput('Server listening')));

  const prefix = path.join(tmp, 'nginx');
  const config = writeNginxConfig({ projectDir, prefix, httpPort, httpsPort: await freePort(), upstreams: ports });
  await nginx.run(
    'make-cert',
    'sh',
    [path.join(projectDir, 'nginx/scripts/make-self-signed-cert.sh'), path.join(prefix, 'certs'), 'localhost'],
    {},
  );
  const globals = `daemon off; pid ${path.join(prefix, 'nginx.pid')};${process.getuid?.() === 0 ? ' user root;' : ''}`;
  nginx.start('nginx', 'nginx', ['-p', prefix, '-c', config, '-g', globals], { outputToFile: true });
  base = `http://127.0.0.1:${httpPort}`;
  await waitFor('nginx', async () => (await fetch(`${base}/nginx-health`)).ok, 10_000);
}, 60_000);

afterAll(async () => {
  await Promise.all(apis.map((api) => api.kill('SIGKILL')));
  await nginx.stopAll();
  if (!process.env.FAULTS_KEEP) rmSync(tmp, { recursive: true, force: true });
});

describe('SIGTERM to an api instance behind nginx', () => {
  it('drains with zero failed requests, in-flight downloads complete and no write is lost or doubled', async () => {
    const email = `drain-${randomBytes(4).toString('hex')}@example.com`;
    await json(
      await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'drain-password', name: 'Drain' }),
      }),
    );
    const { access_token: token } = await json<{ access_token: string }>(
      await fetch(`${base}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: email, password: 'drain-password' }),
      }),
    );
    const auth = { authorization: `Bearer ${token}` };

    // A 4 MiB file, downloaded slowly while the signal arrives.
    const content = randomBytes(4 * 1024 * 1024);
    const form = multipart([{ name: 'file', filename: 'big.bin', contentType: 'application/octet-stream', content }]);
    const [uploaded] = await json<{ id: string }[]>(
      await fetch(`${base}/api/v1/files`, {
        method: 'POST',
        headers: { ...auth, ...form.headers },
        body: form.payload,
      }),
    );

    const tally = { ok: 0, failed: [] as string[] };
    const acknowledged = new Set<number>();
    const tag = `drain-${randomBytes(3).toString('hex')}`;
    let stop = false;
    const reader = async () => {
      while (!stop) {
        try {
          const response = await fetch(`${base}/api/v1/items?limit=5`);
          await response.arrayBuffer();
          if (response.status === 200) tally.ok++;
          else tally.failed.push(`GET ${response.status}`);
        } catch (err) {
          tally.failed.push(
            `GET ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`,
          );
        }
      }
    };
    const writer = async (n: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const response = await fetch(`${base}/api/v1/items`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ name: `w${n}-${i}`, price: 1, tags: [tag] }),
          });
          const body = (await response.json()) as { id?: number };
          if (response.status === 201 && body.id) {
            tally.ok++;
            acknowledged.add(body.id);
          } else tally.failed.push(`POST ${response.status}`);
        } catch (err) {
          tally.failed.push(
            `POST ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`,
          );
        }
      }
    };
    let signalledAt = Infinity;
    const slowDownload = async (n: number) => {
      const response = await fetch(`${base}/api/v1/files/${uploaded!.id}/content`, {
        headers: { ...auth, 'x-request-id': `drain-download-${n}` },
      });
      const hash = createHash('sha256');
      const chunks = response.body!.getReader();
      for (;;) {
        const { done, value } = await chunks.read();
        if (done) break;
        hash.update(value);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { status: response.status, sha256: hash.digest('hex'), afterSignal: Date.now() > signalledAt };
    };

    const load = [...Array.from({ length: 4 }, reader), ...Array.from({ length: 2 }, (_, n) => writer(n))];
    const downloads = [0, 1, 2, 3].map(slowDownload);
    await new Promise((resolve) => setTimeout(resolve, 800));
    signalledAt = Date.now();
    const exit = apis[0]!.kill('SIGTERM');
    const { code } = await exit;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await Promise.all(load);
    const downloaded = await Promise.all(downloads);

    expect(code).toBe(0);
    expect(apis[0]!.output).toMatch(/shutting down/);
    expect(tally.failed, `${tally.failed.length} of ${tally.ok + tally.failed.length} failed`).toEqual([]);
    expect(tally.ok).toBeGreaterThan(50);
    const expected = createHash('sha256').update(content).digest('hex');
    expect(downloaded.map(({ status, sha256 }) => ({ status, sha256 }))).toEqual(
      Array(4).fill({ status: 200, sha256: expected }),
    );
    // At least one download was served by the signalled instance and still running when the
    // signal came: draining let it finish.
    expect(downloaded.some((d) => d.afterSignal)).toBe(true);
    expect(apis[0]!.output).toMatch(/drain-download-\d/);
    // Every 201 is a row, and no row is there twice (nginx never resent a POST). Read by cursor:
    // the list's `total` stops counting at 100.
    const names: string[] = [];
    for (let cursor = ''; ;) {
      const page = await json<{ items: { name: string }[]; nextCursor: string | null }>(
        await fetch(`${base}/api/v1/items?tag=${tag}&limit=100${cursor && `&cursor=${cursor}`}`),
      );
      names.push(...page.items.map((item) => item.name));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(names).toHaveLength(acknowledged.size);
    expect(new Set(names).size).toBe(acknowledged.size);
  }, 90_000);
});
