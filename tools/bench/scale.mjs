// `npm run bench -- --scale`: the documented list queries of GET /api/v1/items at growing table
// sizes (10k, 100k, 1M by default), p50 and p99 of sequential requests through the built api, in
// one table (tools/bench/results/scale-<date>.md, .json, .svg and scale-latest.*). Issue 14's
// goal, reported and not asserted: at 1M each query's p50 within 2× of its 10k figure and under
// 20 ms, the first page of search under 50 ms.
//
// Options: --scale-sizes 10000,100000,1000000 (grown in place, in this order)
//          --scale-requests 40 (timed requests per query and size, after 3 warm-ups)
//          --scale-seconds 15 (at most this long per query and size; at least 5 requests)
//          --no-write (print, write no files)
//
// The table is grown with INSERT ... SELECT generate_series inside PostgreSQL (1M rows in
// seconds; the seed script's row-by-row batches would take minutes), then VACUUM ANALYZE, so the
// planner sees the new size the way autovacuum would eventually show it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { startApi } from './api-process.mjs';
import {
  machineMeta,
  apiEnv,
  bearerFor,
  deleteRedisKeys,
  log,
  option,
  pinSelf,
  query,
  scratchDatabase,
  seed,
} from './lib.mjs';
import { renderScaleChart } from './scale-chart.mjs';

const SIZES = option('scale-sizes', '10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const REQUESTS = Number(option('scale-requests', 40));
const MAX_SECONDS = Number(option('scale-seconds', 15));
const WARMUP = 3;
const API_WARMUP = 30;
const API_WARMUP_SECONDS = 20;
const API_PORT = 3903;
const TAGS = 50;
/** The goal of issue 14: p50 at 1M within RATIO_GOAL × its 10k figure and under the budget. */
const RATIO_GOAL = 2;
const BUDGET_MS = 20;
const SEARCH_BUDGET_MS = 50;

/** The documented list queries; `skip` depends on the table's size (90 % of it). */
function listQueries(rows) {
  return [
    { name: 'default', title: 'default sort (-createdAt)', query: 'limit=20' },
    { name: 'deep-offset', title: 'skip = 90 % of the table', query: `limit=20&skip=${Math.floor(rows * 0.9)}` },
    { name: 'search', title: 'search q=item 777', query: 'limit=20&q=item%20777', budget: SEARCH_BUDGET_MS },
    // One match at every size (a description's "row 4321,"): how search grows with the table
    // alone.
    {
      name: 'search-one',
      title: 'search with one match, q=row 4321,',
      query: 'limit=20&q=row%204321%2C',
      budget: SEARCH_BUDGET_MS,
    },
    // Words in every row: the page fills from the first rows in sort order (searchPage).
    {
      name: 'search-common',
      title: 'search q=scale bench (every row)',
      query: 'limit=20&q=scale%20bench',
      budget: SEARCH_BUDGET_MS,
    },
    { name: 'tag', title: 'tag=t7', query: 'limit=20&tag=t7' },
    { name: 'price-range', title: 'minPrice=50&maxPrice=51', query: 'limit=20&minPrice=50&maxPrice=51' },
    { name: 'sort-price-desc', title: 'sort=-price', query: 'limit=20&sort=-price' },
    { name: 'sort-price', title: 'sort=price', query: 'limit=20&sort=price' },
    { name: 'sort-name', title: 'sort=name', query: 'limit=20&sort=name' },
    { name: 'sort-name-desc', title: 'sort=-name', query: 'limit=20&sort=-name' },
    { name: 'sort-created', title: 'sort=createdAt', query: 'limit=20&sort=createdAt' },
  ];
}

/**
 * Adds generated items until the table holds `rows`: names 'item N', one of TAGS tags, prices
 * spread over 0..1000, creation times spread over a year in an order unrelated to the id (a
 * multiplicative hash), so no sort is accidentally the physical order.
 */
async function growTo(url, ownerId, rows) {
  const { rows: counted } = await query(url, 'SELECT count(*)::int AS n FROM items');
  const have = counted[0].n;
  if (have >= rows) return { inserted: 0, seconds: 0 };
  const started = process.hrtime.bigint();
  await query(
    url,
    `INSERT INTO items (owner_id, name, description, price, tax, tags, created_at, updated_at)
     SELECT $1, 'item ' || n, 'Generated row ' || n || ', for the scale bench',
            ((n::bigint * 7919) % 100001) / 100.0, 0.19,
            ARRAY['t' || (n % ${TAGS}), 'generated'],
            t, t
       FROM generate_series($2::int, $3::int) AS n,
            LATERAL (SELECT timestamptz '2025-01-01' + ((n::bigint * 2654435761) % 31536000) * interval '1 second' AS t) AS c`,
    [ownerId, have + 1, rows],
  );
  const insertSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  execFileSync('psql', ['-X', '-q', url, '-c', 'VACUUM ANALYZE items']);
  return { inserted: rows - have, seconds: Number(process.hrtime.bigint() - started) / 1e9, insertSeconds };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Sequential requests (one at a time, so each time is a latency): p50, p99, count, status. */
async function measure(url, headers) {
  const once = async () => {
    const started = process.hrtime.bigint();
    const response = await fetch(url, { headers });
    const body = await response.text();
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, body };
  };
  const first = await once();
  for (let i = 1; i < WARMUP; i++) await once();
  if (first.status !== 200) return { status: first.status, detail: first.body.slice(0, 200) };
  const times = [];
  const deadline = Date.now() + MAX_SECONDS * 1000;
  while (times.length < REQUESTS && (times.length < 5 || Date.now() < deadline)) {
    const r = await once();
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body.slice(0, 200)}`);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  const page = JSON.parse(first.body);
  return {
    status: 200,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    n: times.length,
    total: page.total,
    nextCursor: typeof page.nextCursor === 'string' ? page.nextCursor : undefined,
  };
}

export async function runScale() {
  if (SIZES.length === 0) throw new Error('--scale-sizes: give sizes like 10000,100000');
  pinSelf();
  log(`bench --scale: sizes ${SIZES.join(', ')}, ${REQUESTS} sequential requests per query (≤ ${MAX_SECONDS} s)`);
  log('build: tsc');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const db = await scratchDatabase('bench_scale');
  const uploadDir = `.tmp/bench-uploads-${process.pid}`;
  let api;
  try {
    // The admin only (and the seed's 3 demo items): the rows come from growTo.
    seed(db.url, 0);
    const owner = (await query(db.url, 'SELECT id FROM users ORDER BY id LIMIT 1')).rows[0].id;
    api = await startApi(apiEnv({ databaseUrl: db.url, port: API_PORT, uploadDir }));
    const apiUrl = `http://127.0.0.1:${API_PORT}`;
    const auth = await bearerFor(apiUrl);
    const runs = [];
    const measured = new Map();
    for (const size of [...SIZES].sort((a, b) => a - b)) {
      log(`grow: to ${size} items`);
      const grown = await growTo(db.url, owner, size);
      log(
        `grow: +${grown.inserted} rows in ${grown.seconds.toFixed(1)} s (insert ${grown.insertSeconds?.toFixed(1)} s)`,
      );
      runs.push({ size, ...grown });
      const queries = listQueries(size);
      // Once, at the smallest size: the api's JIT warms on every query before any is timed, so
      // the first size is not measured on a cold process (bounded in time, for a large first size).
      if (runs.length === 1) {
        const until = Date.now() + API_WARMUP_SECONDS * 1000;
        for (let i = 0; i < API_WARMUP && Date.now() < until; i++)
          for (const q of queries) await (await fetch(`${apiUrl}/api/v1/items?${q.query}`, { headers: auth })).text();
      }
      for (const q of queries) {
        const result = await measure(`${apiUrl}/api/v1/items?${q.query}`, auth);
        record(measured, q, size, result);
        log(`${size} ${q.name}: ${describe(result)}`);
        // A cursor API (issue 14, item 2): its next page is measured too, when the list offers one.
        if (q.name === 'default' && result.nextCursor) {
          const next = {
            name: 'cursor-next',
            title: 'next page by cursor',
            query: `limit=20&cursor=${encodeURIComponent(result.nextCursor)}`,
          };
          const nextResult = await measure(`${apiUrl}/api/v1/items?${next.query}`, auth);
          record(measured, next, size, nextResult);
          log(`${size} ${next.name}: ${describe(nextResult)}`);
        }
      }
    }
    write({ runs, rows: [...measured.values()] });
  } finally {
    await api?.stop();
    await db.drop();
    rmSync(uploadDir, { recursive: true, force: true });
    await deleteRedisKeys(`bench:${process.pid}:`).catch((err) => log(`redis cleanup: ${err.message}`));
  }
}

function record(measured, q, size, result) {
  if (!measured.has(q.name))
    measured.set(q.name, { name: q.name, title: q.title, budget: q.budget ?? BUDGET_MS, bySize: {} });
  const { nextCursor: _cursor, ...kept } = result;
  measured.get(q.name).bySize[size] = { ...kept, query: q.query };
}

const describe = (r) =>
  r.status === 200
    ? `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (n=${r.n}, total ${r.total})`
    : `answered ${r.status}`;

const sizeLabel = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
const ms = (v) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

/** The goal's verdict for one row: only when the run had both 10k and 1M, the sizes it names. */
function goal(row, sizes) {
  const small = row.bySize[10_000];
  const large = row.bySize[1_000_000];
  if (!sizes.includes(10_000) || !sizes.includes(1_000_000)) return { text: '– (needs 10k and 1M)' };
  if (small?.status !== 200 || large?.status !== 200) return { text: '–', met: null };
  const ratio = large.p50 / small.p50;
  const met = ratio <= RATIO_GOAL && large.p50 < row.budget;
  return { ratio, met, text: met ? 'yes' : '**no**' };
}

export function renderScaleMarkdown(meta, rows) {
  const sizes = meta.sizes;
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const cell = (r) => (!r ? '–' : r.status === 200 ? `${ms(r.p50)} / ${ms(r.p99)}` : `answered ${r.status}`);
  const lines = [
    `# Scale benchmark ${meta.date.slice(0, 10)}`,
    '',
    `\`npm run bench -- --scale\`${meta.sizesOption ? ` \`--scale-sizes ${meta.sizesOption}\`` : ''}: GET /api/v1/items at ${sizes.map(sizeLabel).join(', ')} items, the api built from commit ${meta.commit ?? 'unknown'} (the table grown in place, VACUUM ANALYZE after each step). ` +
      `Node ${meta.node}, ${meta.cpus} × ${meta.cpu}; the api (\`${meta.apiCommand}\`, NODE_ENV=production, LOG_LEVEL=${meta.logLevel}) pinned to core 0, this client to core ${meta.cpus - 1}, PostgreSQL ${meta.postgres} local and unpinned. ` +
      `Each cell: p50 / p99 in ms of up to ${meta.requests} sequential authenticated requests (after ${WARMUP} warm-ups, at most ${meta.maxSeconds} s each; n per cell in the .json).`,
    '',
    `Goal of issue 14 (reported, not asserted): at 1M, p50 within ${RATIO_GOAL}× of the 10k figure and under ${BUDGET_MS} ms (search: ${SEARCH_BUDGET_MS} ms).`,
    '',
    `| query | ${sizes.map((s) => `${sizeLabel(s)} p50 / p99`).join(' | ')} | p50 ${sizeLabel(last)}/${sizeLabel(first)} | goal met |`,
    `|---|${sizes.map(() => '---|').join('')}---|---|`,
    ...rows.map((row) => {
      const a = row.bySize[first];
      const b = row.bySize[last];
      const ratio = a?.status === 200 && b?.status === 200 ? `${(b.p50 / a.p50).toFixed(1)}×` : '–';
      return `| ${row.title}: \`${row.name === 'deep-offset' ? 'limit=20&skip=0.9·rows' : (a ?? b).query}\` | ${sizes.map((s) => cell(row.bySize[s])).join(' | ')} | ${ratio} | ${goal(row, sizes).text} |`;
    }),
    '',
    `Seeding (INSERT ... SELECT generate_series, then VACUUM ANALYZE): ${meta.runs.map((r) => `${sizeLabel(r.size)} +${r.inserted} rows in ${r.seconds.toFixed(1)} s`).join('; ')}.`,
    '',
    `![p50 per size](${meta.chart})`,
    '',
  ];
  return lines.join('\n');
}

/** The commit the api was built from, marked when src/ or prisma/ had uncommitted changes. */
function sourceCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'prisma']).toString().trim() !== '';
    return dirty ? `${head} with uncommitted changes in src/ or prisma/` : head;
  } catch {
    return 'unknown';
  }
}

function write({ runs, rows }) {
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const sizes = runs.map((r) => r.size);
  const meta = {
    date,
    commit: sourceCommit(),
    sizes,
    sizesOption: option('scale-sizes', ''),
    requests: REQUESTS,
    maxSeconds: MAX_SECONDS,
    ...machineMeta(),
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
    runs,
    chart: 'scale-latest.svg',
  };
  const withGoal = rows.map((row) => ({ ...row, goal: goal(row, sizes) }));
  const markdown = renderScaleMarkdown(meta, rows);
  process.stdout.write(`${markdown}\n`);
  if (option('no-write', false) === true) return;
  const dir = 'tools/bench/results';
  mkdirSync(dir, { recursive: true });
  const jsonText = `${JSON.stringify({ meta, rows: withGoal }, null, 2)}\n`;
  const svg = renderScaleChart(meta, rows);
  writeFileSync(`${dir}/scale-${day}.json`, jsonText);
  writeFileSync(`${dir}/scale-${day}.md`, markdown.replace('](scale-latest.svg)', `](scale-${day}.svg)`));
  writeFileSync(`${dir}/scale-${day}.svg`, svg);
  writeFileSync(`${dir}/scale-latest.json`, jsonText);
  writeFileSync(`${dir}/scale-latest.md`, markdown);
  writeFileSync(`${dir}/scale-latest.svg`, svg);
  log(`written ${dir}/scale-${day}.{md,json,svg} and scale-latest.{md,json,svg}`);
}
