// Plan tests: every documented list query (each sort, each filter) is answered from an index,
// never by a sequential scan of items or a sort of the whole table, so a page costs the same at
// 20k rows as at 1M. The SQL is the one the app sends: the SQL list (the fast path the API
// uses) runs against a pass-through pool that records each statement, and the page statements
// (those with ORDER BY ... LIMIT) are then EXPLAINed with their own parameter values.
//
// Not disturbing the other test files (they share this run's database and run in parallel):
// the owner, the 20k items and the ANALYZE all happen in ONE transaction that is rolled back at
// the end. Other connections never see uncommitted rows, so no list, count, export or report
// elsewhere can meet them. Inside the transaction the planner does see them: ANALYZE samples
// rows its own transaction inserted, and its statistics (pg_statistic) are visible to the
// EXPLAINs that follow; the first test checks that the planner counts them. What outlives the
// rollback: pg_class's row estimate, which ANALYZE writes in place (an estimate only, corrected
// by the next autovacuum; it changes no result), and dead tuples until vacuum. No planner
// setting (enable_seqscan, ...) is changed: the plans are the ones the app would get.
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PgPool } from '../../../src/db/prisma.js';
import { PrismaClient } from '../../../src/generated/prisma/client.js';
import { SqlListItemsRepository } from '../../../src/modules/items/fast-paths/items-sql-list.repository.js';
import { decodeItemCursor, encodeItemCursor, type ItemPosition } from '../../../src/modules/items/items-cursor.js';
import type { ItemFilter, ItemSort } from '../../../src/modules/items/items.schemas.js';
import { uniqueEmail } from '../../helpers/factories/users.js';

const ROWS = 20_000;
const token = `plan${randomBytes(3).toString('hex')}`;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}

let client: pg.Client;
let prisma: PrismaClient;
let repository: SqlListItemsRepository;
const sent: pg.QueryConfig[] = [];

beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  await client.query('BEGIN');
  const owner = await client.query<{ id: number }>(
    `INSERT INTO users (email, name, password_hash, updated_at) VALUES ($1, 'Plans', 'x', now()) RETURNING id`,
    [uniqueEmail('plans')],
  );
  // Distinct names and creation times, 10,000 prices (ties, as real prices have), ten tags. The
  // creation times are a day ahead, so these rows are the newest while other test files add
  // theirs: the newest rows are the window a search tests first (searchPage).
  await client.query(
    `INSERT INTO items (owner_id, name, description, price, tags, created_at, updated_at)
     SELECT $1, $2 || ' item ' || g, 'about item ' || g || ' ' || md5(g::text), ((g * 7919) % 10000) / 100.0,
            ARRAY[$2 || '-' || (g % 10)], now() + interval '1 day' - g * interval '1 second', now()
     FROM generate_series(1, ${ROWS}) g`,
    [owner.rows[0]!.id, token],
  );
  // GIN indexes take new rows into a pending list first (up to gin_pending_list_limit, 4 MB),
  // which every search reads in full, until vacuum (autovacuum, also after inserts) merges it.
  // 20k fresh rows fill it: the planner then prefers a sequential scan of so small a
  // table. A table with data has been vacuumed; merge now, as autovacuum would.
  await mergeGinPendingLists();
  await client.query('ANALYZE items');
  // The list repository, its pool replaced by this transaction's connection: the statements are
  // the app's own, they run on real PostgreSQL and see the rows above.
  const pool = {
    query: (config: pg.QueryConfig) => {
      sent.push(config);
      return client.query(config);
    },
  } as unknown as PgPool;
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: inject('databaseUrl') }) });
  repository = new SqlListItemsRepository(prisma, pool);
}, 60_000);

afterAll(async () => {
  await client?.query('ROLLBACK');
  await client?.end();
  await prisma?.$disconnect();
});

/** A statement that reads a page (the count has no ORDER BY). */
const isPageStatement = (config: pg.QueryConfig) => /\bORDER BY\b.*\bLIMIT\b/.test(config.text);

async function mergeGinPendingLists(): Promise<void> {
  await client.query(`SELECT gin_clean_pending_list('items_search_idx'), gin_clean_pending_list('items_tags_idx')`);
}

/**
 * The plans of the page statements the app sends for this list request (first page, limit 20):
 * the statements with ORDER BY ... LIMIT, EXPLAINed with their own parameter values. One for a
 * list; for a search, one or two (SqlListItemsRepository.searchPage).
 */
async function pagePlans(filter: ItemFilter, sort: ItemSort, after?: ItemPosition): Promise<PlanNode[]> {
  // Other test files insert items meanwhile; their rows wait in the GIN indexes' pending lists,
  // which the planner prices into a GIN scan (seen in CI: it walked created_at for a rare q).
  // Merge them before planning, as autovacuum would on a live table.
  if (filter.q || filter.tag) await mergeGinPendingLists();
  sent.length = 0;
  const page = await repository.list(filter, sort, { skip: 0, limit: 20 }, after);
  expect(page.items.length).toBeGreaterThan(0);
  const statements = sent.filter(isPageStatement);
  expect(statements.length, 'the page statements').toBeGreaterThan(0);
  const plans: PlanNode[] = [];
  for (const statement of statements) {
    const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>({
      text: `EXPLAIN (FORMAT JSON) ${statement.text}`,
      values: statement.values,
    });
    plans.push(result.rows[0]!['QUERY PLAN'][0].Plan);
  }
  return plans;
}

/** The plan of a list's one page statement. */
async function pagePlan(filter: ItemFilter, sort: ItemSort, after?: ItemPosition): Promise<PlanNode> {
  const plans = await pagePlans(filter, sort, after);
  expect(plans).toHaveLength(1);
  return plans[0]!;
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const describeNodes = (plan: PlanNode) =>
  nodes(plan)
    .map((node) => `${node['Node Type']}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`)
    .join(' > ');

function expectIndexedScan(plan: PlanNode): void {
  const scans = nodes(plan).filter((node) => node['Relation Name'] === 'items');
  expect(scans.length, describeNodes(plan)).toBeGreaterThan(0);
  for (const scan of scans) {
    expect(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'], describeNodes(plan)).toContain(scan['Node Type']);
  }
}

it('plans with statistics that include the seeded rows', async () => {
  const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    'EXPLAIN (FORMAT JSON) SELECT id FROM items',
  );
  expect(result.rows[0]!['QUERY PLAN'][0].Plan['Plan Rows']).toBeGreaterThanOrEqual(ROWS);
});

/** Each documented sort and the index in its ORDER BY (a backward scan serves the descending one). */
const SORT_INDEXES = [
  ['-createdAt', 'items_created_at_id_idx'],
  ['createdAt', 'items_created_at_id_idx'],
  ['price', 'items_price_id_idx'],
  ['-price', 'items_price_id_idx'],
  ['name', 'items_name_id_idx'],
  ['-name', 'items_name_id_idx'],
] as const;

describe('each sort walks its index in ORDER BY order: no sort at all', () => {
  it.each(SORT_INDEXES)('sort=%s uses %s', async (sort, index) => {
    const plan = await pagePlan({}, sort);
    expectIndexedScan(plan);
    const types = nodes(plan).map((node) => node['Node Type']);
    expect(types, describeNodes(plan)).not.toContain('Sort');
    expect(types, describeNodes(plan)).not.toContain('Incremental Sort');
    expect(
      nodes(plan).map((node) => node['Index Name']),
      describeNodes(plan),
    ).toContain(index);
  });
});

describe('a page after a cursor starts in the index at the cursor: no sort, no rows read and dropped', () => {
  it.each(SORT_INDEXES)('sort=%s seeks %s', async (sort, index) => {
    // A cursor halfway through the seeded rows, as a client deep into the list would hold.
    const halfway = await repository.list({}, sort, { skip: ROWS / 2, limit: 1 });
    const after = decodeItemCursor(sort, encodeItemCursor(sort, halfway.items[0]!));
    const plan = await pagePlan({}, sort, after);
    const types = nodes(plan).map((node) => node['Node Type']);
    expect(types, describeNodes(plan)).not.toContain('Sort');
    const scan = nodes(plan).find((node) => node['Index Name'] === index);
    expect(scan, describeNodes(plan)).toBeDefined();
    // The cursor is the scan's start (an index condition), not a filter over skipped rows.
    expect(scan!['Index Cond'], describeNodes(plan)).toMatch(/ROW\(/);
  });
});

describe('each filter is answered from an index, sorting at most the matching rows', () => {
  it.each([
    ['q (search in name and description)', { q: 'item 777' }, '-createdAt'],
    ['q matching most rows', { q: `${token} item` }, '-createdAt'],
    ['tag', { tag: `${token}-7` }, '-createdAt'],
    ['minPrice and maxPrice', { minPrice: 50, maxPrice: 51 }, '-createdAt'],
    ['minPrice and maxPrice, sorted by price', { minPrice: 50, maxPrice: 51 }, 'price'],
    ['all filters together', { q: `${token} item 1`, tag: `${token}-1`, minPrice: 10, maxPrice: 90 }, 'name'],
  ] as const)('%s', async (_label, filter, sort) => {
    for (const plan of await pagePlans(filter, sort)) {
      expectIndexedScan(plan);
      // A sort may order the rows an index found (a few hundred), never the table.
      for (const sortNode of nodes(plan).filter((node) => node['Node Type'].endsWith('Sort'))) {
        expect(sortNode['Plan Rows'], describeNodes(plan)).toBeLessThan(ROWS / 10);
      }
    }
  });

  // At 1M items the planner walked the created_at index and read ~20,000 rows from the table to
  // find a 0.1 % price range's newest 21: the page's ids must come from the index alone. (For a
  // wide range, walking created_at finds 21 matches soon enough; the planner chooses.)
  // Which price index reads the range is the planner's cost call: inside this transaction the
  // rows are not all-visible yet, so (price, created_at, id) has no index-only advantage here and
  // the planner may take (price, id) instead, which reads only the range's rows too.
  it('a narrow price range, newest first, reads the range from a price index, not the created_at walk', async () => {
    const plan = await pagePlan({ minPrice: 50, maxPrice: 50.1 }, '-createdAt');
    const indexes = nodes(plan).map((node) => node['Index Name']);
    expect(indexes, describeNodes(plan)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^items_price_(created_at_)?id_idx$/)]),
    );
    expect(indexes, describeNodes(plan)).not.toContain('items_created_at_id_idx');
    // Only the page's rows are read by id. (Here the range itself is a bitmap scan, as this
    // transaction's rows are not all-visible yet; on a vacuumed table it is an index-only scan.)
    const byId = nodes(plan).find((node) => node['Index Name'] === 'items_pkey');
    expect(byId, describeNodes(plan)).toBeDefined();
  });

  // Walking the sort's index and filtering every row would also pass the checks above, and read
  // the whole table to find a rare word. A search tests a bounded window of the sort's index
  // first, then finds a rare word's matches through the search index.
  it('a rare q tests a window of the sort index, then finds its matches through the search index', async () => {
    const plans = await pagePlans({ q: 'item 777' }, '-createdAt');
    expect(plans, plans.map(describeNodes).join(' | ')).toHaveLength(2);
    const [window, matches] = plans as [PlanNode, PlanNode];
    const walk = nodes(window).find((node) => node['Index Name'] === 'items_created_at_id_idx');
    const limit = nodes(window).find((node) => node['Node Type'] === 'Limit' && node.Plans?.[0] === walk);
    expect(limit, describeNodes(window)).toBeDefined();
    expect(
      nodes(matches).map((node) => node['Index Name']),
      describeNodes(matches),
    ).toContain('items_search_idx');
    expect(
      nodes(matches).map((node) => node['Index Name']),
      describeNodes(matches),
    ).not.toContain('items_created_at_id_idx');
  });

  // Either way, the page is the first matches in sort order: what the statement without either
  // device answers.
  it.each([
    ['rare, read through the search index', `${token} item 777`],
    ['common, read from the window', `${token} item`],
  ])('a %s q answers the first matches in sort order', async (_label, q) => {
    const page = await repository.list({ q }, '-createdAt', { skip: 0, limit: 20 });
    const expected = await client.query<{ id: number }>(
      `SELECT id FROM items WHERE search @@ websearch_to_tsquery('simple', $1) ORDER BY created_at DESC, id DESC LIMIT 20`,
      [q],
    );
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.map((item) => item.id)).toEqual(expected.rows.map((row) => row.id));
  });

  // Twelve names a thousand rows apart (`7 or 1007 or ...`): a window after the cursor holds
  // none of them, so the second page is read through the search index.
  const sparse = Array.from({ length: 12 }, (_, i) => String(7 + i * 1000)).join(' or ');
  it.each([
    ['rare, read through the search index', sparse, 2],
    ['common, read from the window', `${token} item`, 1],
  ])('a %s q pages by cursor: the next page is the next matches', async (_label, q, statements) => {
    const first = await repository.list({ q }, '-createdAt', { skip: 0, limit: 5 });
    const after = decodeItemCursor('-createdAt', encodeItemCursor('-createdAt', first.items.at(-1)!));
    sent.length = 0;
    const second = await repository.list({ q }, '-createdAt', { skip: 0, limit: 5 }, after);
    expect(sent.filter(isPageStatement)).toHaveLength(statements);
    const expected = await client.query<{ id: number }>(
      `SELECT id FROM items WHERE search @@ websearch_to_tsquery('simple', $1) ORDER BY created_at DESC, id DESC OFFSET 5 LIMIT 5`,
      [q],
    );
    expect(expected.rows).toHaveLength(5);
    expect(second.items.map((item) => item.id)).toEqual(expected.rows.map((row) => row.id));
  });

  // Past the count's cap a page is read by offset, still in the same two steps.
  it('a rare q deep in the list by skip still finds its matches through the search index', async () => {
    sent.length = 0;
    const page = await repository.list({ q: sparse }, '-createdAt', { skip: 8, limit: 100 });
    const statements = sent.filter(isPageStatement);
    expect(statements).toHaveLength(2);
    const plan = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>({
      text: `EXPLAIN (FORMAT JSON) ${statements[1]!.text}`,
      values: statements[1]!.values,
    });
    const matches = plan.rows[0]!['QUERY PLAN'][0].Plan;
    expect(
      nodes(matches).map((node) => node['Index Name']),
      describeNodes(matches),
    ).toContain('items_search_idx');
    const expected = await client.query<{ id: number }>(
      `SELECT id FROM items WHERE search @@ websearch_to_tsquery('simple', $1) ORDER BY created_at DESC, id DESC OFFSET 8 LIMIT 100`,
      [sparse],
    );
    expect(expected.rows.length).toBeGreaterThan(0);
    expect(page.items.map((item) => item.id)).toEqual(expected.rows.map((row) => row.id));
  });

  it('a common q fills its page from the window alone: one statement, walking the sort index', async () => {
    const plan = await pagePlan({ q: `${token} item` }, '-createdAt');
    expect(
      nodes(plan).map((node) => node['Index Name']),
      describeNodes(plan),
    ).toContain('items_created_at_id_idx');
  });
});
