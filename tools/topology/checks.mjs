// The checks of `npm run test:topology`, each one a request sequence a client of the compose
// stack makes, sent through nginx. Each returns a one-line detail (measured numbers) or throws.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import WebSocket from 'ws';
import { sleep, waitFor } from '../../scripts/lib/processes.mjs';

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectStatus(response, status, what) {
  if (response.status !== status) {
    const body = await response.text().catch(() => '');
    throw new Error(`${what}: expected ${status}, got ${response.status} ${body.slice(0, 300)}`);
  }
  return response;
}

/** Which api instance logged a request with this X-Request-Id (the id nginx passed on). */
function instanceOf(procs, instances, requestId) {
  const needle = `"requestId":"${requestId}"`;
  return instances.find((name) => procs.get(name).lines.some((line) => line.includes(needle)));
}

/** Opens a WebSocket and queues every JSON frame it receives. */
function openSocket(url, headers) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const frames = [];
    const waiters = [];
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString('utf8'));
      frames.push(frame);
      for (const waiter of [...waiters]) waiter();
    });
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        /** Resolves with the first frame (received so far or later) that matches. */
        next(match, timeoutMs = 10_000) {
          return new Promise((done, fail) => {
            const check = () => {
              const found = frames.find(match);
              if (!found) return false;
              waiters.splice(waiters.indexOf(check), 1);
              clearTimeout(timer);
              done(found);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(check), 1);
              fail(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 400)}`));
            }, timeoutMs);
            waiters.push(check);
            check();
          });
        },
      }),
    );
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

function httpsGet(url, ca, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, headers, agent: false }, (res) => {
      const protocol = res.socket.getProtocol();
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          protocol,
        }),
      );
    });
    request.on('error', reject);
  });
}

/** Opens a WebSocket and resolves once the handshake is answered, accepted or not. */
function handshake(url) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    const done = (outcome) => {
      socket.terminate();
      resolve(outcome);
    };
    socket.once('open', () => done('101'));
    socket.once('unexpected-response', (_req, res) => done(String(res.statusCode)));
    socket.once('error', (err) => done(err.message));
  });
}

export async function topologyChecks({
  procs,
  http,
  https: httpsBase,
  ws,
  caCert,
  admin,
  instances,
  hasWorker,
  secrets,
  log,
}) {
  const run = randomBytes(4).toString('hex');
  const state = {};
  const bearer = () => ({ authorization: `Bearer ${state.token}` });
  const json = (body) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });

  const checks = [
    [
      'requests spread over both api instances (X-Request-Id passed through)',
      async () => {
        const ids = Array.from({ length: 20 }, (_, i) => `topo-${run}-spread-${i}`);
        for (const id of ids) {
          const res = await expectStatus(
            await fetch(`${http}/api/v1/info`, { headers: { 'x-request-id': id } }),
            200,
            'GET /api/v1/info',
          );
          assert(res.headers.get('x-request-id') === id, `X-Request-Id not echoed: ${res.headers.get('x-request-id')}`);
          await res.arrayBuffer();
        }
        const served = await waitFor(
          'every request in an api log',
          () => {
            const where = ids.map((id) => instanceOf(procs, instances, id));
            return where.every(Boolean) && where;
          },
          5_000,
        );
        const counts = Object.fromEntries(instances.map((name) => [name, served.filter((s) => s === name).length]));
        assert(
          instances.every((name) => counts[name] > 0),
          `not spread: ${JSON.stringify(counts)}`,
        );
        return `20 requests: ${instances.map((n) => `${n} ${counts[n]}`).join(', ')}`;
      },
    ],

    [
      'proxy headers: security headers once, gzip, X-Forwarded-* trusted from nginx only',
      async () => {
        const res = await expectStatus(
          await fetch(`${http}/openapi.json`, { headers: { 'accept-encoding': 'gzip' } }),
          200,
          'GET /openapi.json',
        );
        await res.arrayBuffer();
        for (const header of ['x-content-type-options', 'x-frame-options', 'referrer-policy']) {
          const value = res.headers.get(header);
          assert(value && !value.includes(','), `${header} missing or sent twice: ${value}`);
        }
        assert(res.headers.get('content-encoding') === 'gzip', `not gzipped: ${res.headers.get('content-encoding')}`);
        assert(!res.headers.get('server')?.match(/\d/), `nginx version disclosed: ${res.headers.get('server')}`);
        const id = `topo-${run}-forwarded`;
        await (
          await fetch(`${http}/api/v1/info`, { headers: { 'x-request-id': id, 'x-forwarded-for': '203.0.113.9' } })
        ).arrayBuffer();
        const line = await waitFor(
          'the forwarded request in a log',
          () => {
            const name = instanceOf(procs, instances, id);
            return (
              name &&
              procs.get(name).lines.find((l) => l.includes(`"requestId":"${id}"`) && l.includes('remoteAddress'))
            );
          },
          5_000,
        );
        const remote = JSON.parse(line).req?.remoteAddress;
        assert(
          remote === '127.0.0.1',
          `client address seen by the api: ${remote} (a client-sent X-Forwarded-For must not win)`,
        );
        return `nosniff/frame/referrer once, gzip on, spoofed X-Forwarded-For ignored (api saw ${remote})`;
      },
    ],

    [
      'login through nginx',
      async () => {
        const bad = await fetch(`${http}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: admin.email, password: 'wrong-password' }),
        });
        assert(
          bad.status === 401 && bad.headers.get('content-type')?.startsWith('application/problem+json'),
          `bad password: ${bad.status}`,
        );
        await bad.arrayBuffer();
        const res = await expectStatus(
          await fetch(`${http}/api/v1/auth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ username: admin.email, password: admin.password }),
          }),
          200,
          'POST /api/v1/auth/token',
        );
        const body = await res.json();
        assert(typeof body.access_token === 'string' && body.token_type === 'bearer', 'no access token');
        state.token = body.access_token;
        const me = await expectStatus(
          await fetch(`${http}/api/v1/users/me`, { headers: bearer() }),
          200,
          'GET /api/v1/users/me',
        );
        assert((await me.json()).email === admin.email, 'wrong user');
        return 'wrong password 401 problem+json; password grant 200; /users/me with the token 200';
      },
    ],

    [
      'item CRUD across instances (Redis cache shared)',
      async () => {
        const { body, ...headers } = json({
          name: `topology ${run}`,
          description: 'made through nginx',
          price: 12.5,
          tax: 1.25,
          tags: ['topology'],
        });
        const created = await (
          await expectStatus(
            await fetch(`${http}/api/v1/items`, { method: 'POST', headers: { ...headers, ...bearer() }, body }),
            201,
            'POST /api/v1/items',
          )
        ).json();
        const url = `${http}/api/v1/items/${created.id}`;
        for (let i = 0; i < 4; i++) await (await expectStatus(await fetch(url), 200, 'GET item')).arrayBuffer();
        const patch = json({ name: `renamed ${run}` });
        await (
          await expectStatus(
            await fetch(url, {
              method: 'PATCH',
              headers: { 'content-type': patch['content-type'], ...bearer() },
              body: patch.body,
            }),
            200,
            'PATCH item',
          )
        ).arrayBuffer();
        // Four reads after the change land on both instances: none may serve the old name from a cache.
        for (let i = 0; i < 4; i++) {
          const item = await (await expectStatus(await fetch(url), 200, 'GET item after PATCH')).json();
          assert(item.name === `renamed ${run}`, `stale read after PATCH: ${item.name}`);
        }
        await expectStatus(await fetch(url, { method: 'DELETE', headers: bearer() }), 204, 'DELETE item');
        const gone = await fetch(url);
        assert(
          gone.status === 404 && gone.headers.get('content-type')?.startsWith('application/problem+json'),
          `after DELETE: ${gone.status}`,
        );
        await gone.arrayBuffer();
        return `item ${created.id}: 201, 4x200, PATCH 200, 4 fresh reads, DELETE 204, then 404`;
      },
    ],

    [
      '5 MB upload and download through nginx',
      async () => {
        const content = randomBytes(5 * 1024 * 1024);
        const form = new FormData();
        form.append('file', new Blob([content], { type: 'application/octet-stream' }), 'topology.bin');
        const started = Date.now();
        const uploaded = await (
          await expectStatus(
            await fetch(`${http}/api/v1/files`, { method: 'POST', headers: bearer(), body: form }),
            201,
            'POST /api/v1/files',
          )
        ).json();
        const uploadMs = Date.now() - started;
        const file = uploaded[0];
        const sha256 = createHash('sha256').update(content).digest('hex');
        assert(file.size === content.length && file.sha256 === sha256, `stored ${file.size} bytes, sha ${file.sha256}`);
        const t = Date.now();
        const download = await expectStatus(
          await fetch(`${http}/api/v1/files/${file.id}/content`, { headers: bearer() }),
          200,
          'GET content',
        );
        const body = Buffer.from(await download.arrayBuffer());
        const downloadMs = Date.now() - t;
        assert(createHash('sha256').update(body).digest('hex') === sha256, `downloaded ${body.length} bytes differ`);
        const range = await expectStatus(
          await fetch(`${http}/api/v1/files/${file.id}/content`, { headers: { ...bearer(), range: 'bytes=100-199' } }),
          206,
          'Range GET',
        );
        const part = Buffer.from(await range.arrayBuffer());
        assert(part.equals(content.subarray(100, 200)), 'Range bytes differ');
        await expectStatus(
          await fetch(`${http}/api/v1/files/${file.id}`, { method: 'DELETE', headers: bearer() }),
          204,
          'DELETE file',
        );
        return `5 MiB up in ${uploadMs} ms, down in ${downloadMs} ms, SHA-256 equal, Range 206`;
      },
    ],

    [
      'CSV export streamed through nginx',
      async () => {
        const res = await expectStatus(await fetch(`${http}/api/v1/items/export.csv`), 200, 'GET export.csv');
        assert(
          res.headers.get('content-type')?.startsWith('text/csv'),
          `content-type ${res.headers.get('content-type')}`,
        );
        assert(!res.headers.get('content-length'), 'export has a Content-Length: it was buffered, not streamed');
        const text = await res.text();
        const [header, ...rows] = text.trim().split(/\r?\n/);
        assert(header.startsWith('id,name,description,price,tax,tags'), `header row: ${header}`);
        assert(rows.length >= 3, `only ${rows.length} rows`);
        return `streamed without Content-Length, ${rows.length} rows`;
      },
    ],

    [
      'WebSocket chat across the two instances',
      async () => {
        const room = `topology-${run}`;
        const sockets = [];
        const byInstance = new Map();
        try {
          for (let i = 0; i < 8 && byInstance.size < instances.length; i++) {
            const id = `topo-${run}-ws-${i}`;
            const client = await openSocket(`${ws}/ws/chat/${room}`, {
              authorization: `Bearer ${state.token}`,
              'x-request-id': id,
            });
            sockets.push(client);
            // A member receives what is published after its subscription, which the api confirms
            // by announcing the join (the 101 can arrive before it): wait for that frame.
            await client.next((f) => f.type === 'join');
            const instance = await waitFor('the upgrade in an api log', () => instanceOf(procs, instances, id), 5_000);
            if (!byInstance.has(instance)) byInstance.set(instance, client);
          }
          assert(byInstance.size === instances.length, `all sockets landed on ${[...byInstance.keys()]}`);
          const [[nameA, a], [nameB, b]] = [...byInstance.entries()];
          a.socket.send(JSON.stringify({ type: 'message', text: `hello from ${nameA}` }));
          await b.next((f) => f.type === 'message' && f.text === `hello from ${nameA}`);
          b.socket.send(JSON.stringify({ type: 'message', text: `hello from ${nameB}` }));
          await a.next((f) => f.type === 'message' && f.text === `hello from ${nameB}`);
          return `sockets on ${nameA} and ${nameB} (${sockets.length} opened): messages delivered both ways`;
        } finally {
          for (const client of sockets) client.socket.close();
        }
      },
    ],

    [
      "no token in nginx's log (WebSocket ?token=, reset link), no Redis password in any log",
      async () => {
        const resetToken = randomBytes(24).toString('base64url');
        const outcome = await handshake(`${ws}/ws/notifications?token=${encodeURIComponent(state.token)}`);
        await (await fetch(`${http}/reset-password?token=${resetToken}`)).arrayBuffer();
        const nginxLog = path.join(procs.logDir, 'nginx.log');
        const line = await waitFor(
          "the handshake in nginx's access log",
          () =>
            readFileSync(nginxLog, 'utf8')
              .split('\n')
              .find((l) => l.includes('"uri":"/ws/notifications"') && l.includes('"query":"[redacted]"')),
          5_000,
        );
        const text = readFileSync(nginxLog, 'utf8');
        assert(!text.includes(state.token), "the access token of the WebSocket handshake is in nginx's log");
        assert(!text.includes(resetToken), "the reset-link token is in nginx's log");
        const leaks = readdirSync(procs.logDir)
          .filter((f) => f.endsWith('.log'))
          .filter((f) => {
            const content = readFileSync(path.join(procs.logDir, f), 'utf8');
            return (
              content.includes(secrets.redisPassword) || content.includes(encodeURIComponent(secrets.redisPassword))
            );
          });
        assert(leaks.length === 0, `the Redis password is in ${leaks.join(', ')}`);
        return `handshake ${outcome}, logged as ${JSON.parse(line).uri} query ${JSON.parse(line).query}; reset link redacted; Redis password in none of ${readdirSync(procs.logDir).filter((f) => f.endsWith('.log')).length} process logs`;
      },
    ],

    ...(hasWorker
      ? [
          [
            'a CSV import job run by the worker, its notification over WebSocket and SSE',
            async () => {
              const notifications = await openSocket(`${ws}/ws/notifications`, {
                authorization: `Bearer ${state.token}`,
              });
              const sseAbort = new AbortController();
              try {
                const sse = await expectStatus(
                  await fetch(`${http}/api/v1/events`, {
                    headers: { ...bearer(), accept: 'text/event-stream' },
                    signal: sseAbort.signal,
                  }),
                  200,
                  'GET /api/v1/events',
                );
                let sseText = '';
                const reader = sse.body.getReader();
                const sseSaw = (needle) =>
                  waitFor(
                    `SSE ${needle}`,
                    async () => {
                      while (!sseText.includes(needle)) {
                        const { value, done } = await reader.read();
                        if (done) throw new Error('SSE stream ended');
                        sseText += Buffer.from(value).toString('utf8');
                      }
                      return true;
                    },
                    30_000,
                  );
                const csv = `name,description,price,tax,tags\r\nImported ${run} A,first,1.50,0.10,topology|import\r\nImported ${run} B,second,2.00,0.20,topology\r\nbroken row,,not-a-price,,\r\n`;
                const form = new FormData();
                form.append('file', new Blob([csv], { type: 'text/csv' }), 'items.csv');
                const started = Date.now();
                const res = await expectStatus(
                  await fetch(`${http}/api/v1/items/import`, { method: 'POST', headers: bearer(), body: form }),
                  202,
                  'POST /api/v1/items/import',
                );
                const { jobId } = await res.json();
                const done = await notifications.next(
                  (f) => String(f.jobId) === String(jobId) && (f.type === 'job.completed' || f.type === 'job.failed'),
                  30_000,
                );
                const notifiedMs = Date.now() - started;
                assert(done.type === 'job.completed', `job failed: ${done.error}`);
                await sseSaw(String(jobId));
                await sseSaw('job.completed');
                const job = await (
                  await expectStatus(await fetch(`${http}/api/v1/jobs/${jobId}`, { headers: bearer() }), 200, 'GET job')
                ).json();
                assert(job.state === 'completed', `job state ${job.state}`);
                assert(
                  job.result?.inserted === 2 && job.result?.failed === 1,
                  `job result ${JSON.stringify(job.result)}`,
                );
                return `import job ${jobId}: 2 inserted, 1 failed; job.completed over WebSocket after ${notifiedMs} ms and over SSE; GET /jobs/:id completed`;
              } finally {
                sseAbort.abort();
                notifications.socket.close();
              }
            },
          ],
        ]
      : []),

    [
      'TLS on a local port',
      async () => {
        const res = await httpsGet(`${httpsBase}/api/v1/info`, caCert, { 'x-request-id': `topo-${run}-tls` });
        assert(res.status === 200, `GET over TLS: ${res.status}`);
        const hsts = res.headers['strict-transport-security'];
        assert(
          hsts?.includes('max-age=') && hsts.split('max-age=').length === 2,
          `HSTS missing or sent twice: ${hsts}`,
        );
        assert(res.headers['x-request-id'] === `topo-${run}-tls`, 'X-Request-Id not echoed');
        const rejected = await httpsGet(`${httpsBase}/health/live`, undefined).then(
          () => false,
          (err) => /self.signed|certificate/i.test(err.message),
        );
        assert(rejected, 'a client without the CA accepted the self-signed certificate');
        return `200 over ${res.protocol}, HSTS set, certificate verified against the generated CA`;
      },
    ],

    [
      'nginx refuses an oversized body with a problem+json 413',
      async () => {
        const body = Buffer.alloc(52 * 1024 * 1024, 1);
        const res = await fetch(`${http}/api/v1/files`, {
          method: 'POST',
          headers: { ...bearer(), 'content-type': 'application/octet-stream' },
          body,
        });
        const problem = await res.json();
        assert(
          res.status === 413 && res.headers.get('content-type')?.startsWith('application/problem+json'),
          `got ${res.status} ${res.headers.get('content-type')}`,
        );
        assert(problem.status === 413 && typeof problem.requestId === 'string', `problem: ${JSON.stringify(problem)}`);
        return `52 MiB body: 413 ${res.headers.get('content-type')}, requestId ${problem.requestId}`;
      },
    ],

    [
      'SIGTERM to one api instance under load: zero failed requests',
      async () => {
        const [victim, survivor] = instances;
        const tally = { ok: 0, failed: 0, errors: new Map(), created: new Set() };
        const fail = (what) => {
          tally.failed++;
          tally.errors.set(what, (tally.errors.get(what) ?? 0) + 1);
        };
        let stop = false;
        const paths = ['/api/v1/items?limit=5', '/api/v1/info', '/health/live'];
        const reader = async (n) => {
          for (let i = 0; !stop; i++) {
            const path = paths[(n + i) % paths.length];
            try {
              const res = await fetch(`${http}${path}`);
              await res.arrayBuffer();
              if (res.status === 200) tally.ok++;
              else fail(`${path} ${res.status}`);
            } catch (err) {
              fail(`${path} ${err.cause?.code ?? err.message}`);
            }
          }
        };
        // Writes too: nginx may resend a POST only on a 503, which a draining api sends for
        // requests it did not act on, so every 201 is one row and none is created twice.
        const writer = async (n) => {
          for (let i = 0; !stop; i++) {
            try {
              const { body, ...headers } = json({ name: `drain ${run} ${n}-${i}`, price: 1, tags: [`drain-${run}`] });
              const res = await fetch(`${http}/api/v1/items`, {
                method: 'POST',
                headers: { ...headers, ...bearer() },
                body,
              });
              const created = await res.json();
              if (res.status === 201) {
                tally.ok++;
                tally.created.add(created.id);
              } else fail(`POST /api/v1/items ${res.status}`);
            } catch (err) {
              fail(`POST /api/v1/items ${err.cause?.code ?? err.message}`);
            }
          }
        };
        const load = [
          ...Array.from({ length: 6 }, (_, n) => reader(n)),
          ...Array.from({ length: 2 }, (_, n) => writer(n)),
        ];
        await sleep(1_000);
        const before = tally.ok;
        const signalled = Date.now();
        const exit = await procs.stop(victim, 'SIGTERM');
        const drainMs = Date.now() - signalled;
        await sleep(1_500);
        stop = true;
        await Promise.all(load);
        assert(exit.code === 0, `${victim} exited with ${JSON.stringify(exit)}`);
        assert(
          tally.failed === 0,
          `${tally.failed} failed of ${tally.ok + tally.failed}: ${JSON.stringify([...tally.errors])}`,
        );
        // Every acknowledged write is a row, and there is no other: read them all by cursor (the
        // list's `total` stops counting at 100).
        const listed = new Set();
        for (let cursor = ''; ;) {
          const page = await (
            await expectStatus(
              await fetch(`${http}/api/v1/items?tag=drain-${run}&limit=100${cursor && `&cursor=${cursor}`}`),
              200,
              'list the writes',
            )
          ).json();
          for (const item of page.items) listed.add(item.id);
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        assert(
          listed.size === tally.created.size && [...tally.created].every((id) => listed.has(id)),
          `${tally.created.size} items acknowledged, ${listed.size} in the database`,
        );
        // After the drain every request is served by the survivor.
        const id = `topo-${run}-after`;
        await (
          await expectStatus(
            await fetch(`${http}/api/v1/info`, { headers: { 'x-request-id': id } }),
            200,
            'after the drain',
          )
        ).arrayBuffer();
        assert(
          (await waitFor('the last request in a log', () => instanceOf(procs, instances, id), 5_000)) === survivor,
          'not served by the survivor',
        );
        return `${tally.ok + tally.failed} requests (${tally.created.size} writes, ${before} before the signal), 0 failed, every write stored once; ${victim} drained and exited 0 in ${drainMs} ms`;
      },
    ],
  ];

  const results = [];
  for (const [name, check] of checks) {
    const started = Date.now();
    try {
      const detail = await check();
      results.push({ name, ok: true });
      log(`ok   ${name}: ${detail} [${Date.now() - started} ms]`);
    } catch (err) {
      results.push({ name, ok: false });
      log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return results;
}
