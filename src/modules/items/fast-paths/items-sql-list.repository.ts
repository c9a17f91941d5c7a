// Fast path: the item list sent as SQL on the pg pool instead of through Prisma.
//
// Why (measured): the list is the busiest read the cache does not cover. Through Prisma it
// answered 0.56 of the same query in bare Fastify (the bench's target is 0.7). Sending the same
// three statements (page, count, images) itself, without Prisma's query planning and result
// mapping, took it from 279 to 403 req/s, +44 % (bare Fastify ~420 req/s in that measurement:
// bench/results/fixes.json); the last full run has it at 0.89 of bare Fastify
// (bench/results/latest.md). It answers what the plain list answers:
// test/modules/items/items.repository.test.ts compares the two on every filter and sort.
//
// Only the list changes; every other method is the plain repository's. It is used outside
// transactions only (items.module.ts); a repository bound to a transaction lists with Prisma.
import pg, { type QueryResult } from 'pg';
import type { PgPool } from '../../../db/prisma.js';
import { cappedCount, type Count, type Pagination } from '../../../lib/pagination.js';
import { sortFieldOf, type ItemPosition } from '../items-cursor.js';
import { ItemsRepository, type ItemsDb } from '../items.repository.js';
import type { Item, ItemFilter, ItemImage, ItemSort } from '../items.schemas.js';
import { itemAfterSql, itemOrderSql, itemWhereSql } from './items-sql-filter.js';

/** `timestamp(3)` holds UTC (Prisma's convention); pg would read it in the process's zone. */
const TIMESTAMP_OID = 1114;
const NUMERIC_OID = 1700;
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP_OID) return (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
    if (oid === NUMERIC_OID) return (text: string) => Number(text);
    // Arrays of text (tags) and everything else: pg's own parsers.
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

const COLUMNS = 'id, owner_id, name, description, price, tax, tags, created_at, updated_at';

/**
 * A search first tests this many items per row it needs, in sort order (searchPage): the page
 * fills there when at least 1 item in 20 matches. Larger finds more words there, each search
 * paying for the walk; smaller sends more of them to the search index, where the cost grows with
 * the matches.
 */
const SEARCH_WINDOW_PER_ROW = 20;

/** A WHERE clause (` WHERE ...` or '') with `condition` added, when there is one. */
function withCondition(where: string, condition: string | undefined): string {
  if (!condition) return where;
  return where ? `${where} AND ${condition}` : ` WHERE ${condition}`;
}

interface ItemSqlRow {
  id: number;
  owner_id: number;
  name: string;
  description: string | null;
  price: number;
  tax: number | null;
  tags: string[] | null;
  created_at: Date;
  updated_at: Date;
}

export class SqlListItemsRepository extends ItemsRepository {
  /** `pool`: the pg pool under Prisma (db/prisma.ts), so the list shares Prisma's connections. */
  constructor(
    db: ItemsDb,
    private readonly pool: PgPool,
    countCap?: number,
  ) {
    super(db, countCap);
  }

  /** The page and the count, then the page's images in one query. */
  override async list(
    filter: ItemFilter,
    sort: ItemSort,
    page: Pagination,
    after?: ItemPosition,
  ): Promise<{ items: Item[]; hasMore: boolean } & Count> {
    const { rows: pageRows, hasMore, counted } = await this.pageAndCount(filter, sort, page, after);
    const ids = pageRows.map((row) => row.id);
    const images: QueryResult<{ item_id: number; url: string; name: string }> | undefined =
      ids.length > 0
        ? await this.pool.query({
            text: 'SELECT item_id, url, name FROM item_images WHERE item_id = ANY($1::int[]) ORDER BY item_id, position',
            values: [ids],
          })
        : undefined;
    const byItem = new Map<number, ItemImage[]>();
    for (const image of images?.rows ?? []) {
      const list = byItem.get(image.item_id);
      if (list) list.push({ url: image.url, name: image.name });
      else byItem.set(image.item_id, [{ url: image.url, name: image.name }]);
    }
    return {
      hasMore,
      items: pageRows.map((row) => ({
        id: row.id,
        ownerId: row.owner_id,
        name: row.name,
        description: row.description,
        price: row.price,
        tax: row.tax,
        tags: row.tags ?? [],
        images: byItem.get(row.id) ?? [],
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      })),
      ...cappedCount(counted, this.countCap),
    };
  }

  private async pageAndCount(
    filter: ItemFilter,
    sort: ItemSort,
    page: Pagination,
    after: ItemPosition | undefined,
  ): Promise<{ rows: ItemSqlRow[]; hasMore: boolean; counted: number }> {
    const end = page.skip + page.limit;
    const filterSql = itemWhereSql(filter);
    const search = filter.q !== undefined;
    // A search's first page that ends within the cap reads the first cap + 1 matches in order,
    // in one go: the page is a slice of them, the count is how many there were (a separate
    // count would find the matches a second time).
    if (search && !after && end <= this.countCap) {
      const rows = await this.searchPage(filterSql, sort, undefined, this.countCap + 1, 0);
      return { rows: rows.slice(page.skip, end), hasMore: rows.length > end, counted: rows.length };
    }
    // One row more than the page tells whether another follows; the count reads at most cap + 1.
    const offset = after ? 0 : page.skip;
    const [rows, count] = await Promise.all([
      search
        ? this.searchPage(filterSql, sort, after, page.limit + 1, offset)
        : this.pageQuery(filterSql, filter, sort, after, page.limit + 1, offset),
      this.pool.query<{ total: number }>({
        text: `SELECT count(*)::int AS total FROM (SELECT 1 FROM items${filterSql.sql} LIMIT ${this.countCap + 1}) AS capped`,
        values: filterSql.values,
      }),
    ]);
    return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit, counted: count.rows[0]?.total ?? 0 };
  }

  /**
   * `limit` matches of a search in `sort` order, from `offset` or after `after`, read one of two ways,
   * because which is fast depends on how many items match, and the planner cannot tell: for a
   * word that is not among the commonest, its statistics only say "at most 0.5 %".
   *
   * - A common word is found soon by walking the sort's index: first, the next
   *   SEARCH_WINDOW_PER_ROW × (offset + limit) items in sort order are tested (~3 ms for the
   *   2,020 of a first page). When they hold the page, it is read from them.
   * - Otherwise the word is rare among them, and the search index finds every match, which are
   *   then sorted: a cost in proportion to the matches (0.1 ms for one at 1M items, 6 ms for
   *   11,000), where walking the index would read the whole table to find one (3.5 s at 1M).
   *
   * EXPLAIN ANALYZE for each at 1M items: README "Indexes of the item list".
   */
  private async searchPage(
    filterSql: { sql: string; values: unknown[] },
    sort: ItemSort,
    after: ItemPosition | undefined,
    limit: number,
    offset: number,
  ): Promise<ItemSqlRow[]> {
    const order = itemOrderSql(sort);
    const values = [...filterSql.values];
    const afterSql = after ? itemAfterSql(sort, after, values) : undefined;
    const limitParam = `$${values.length + 1}`;
    const offsetParam = `$${values.length + 2}`;
    const windowParam = `$${values.length + 3}`;
    const page = `${order} LIMIT ${limitParam} OFFSET ${offsetParam}`;
    // The window is named `items`, so the filter's conditions apply to it unchanged.
    const window = `SELECT * FROM items${withCondition('', afterSql)}${order} LIMIT ${windowParam}`;
    const nearby = await this.pool.query<ItemSqlRow>({
      text: `SELECT ${COLUMNS} FROM (${window}) AS items${filterSql.sql}${page}`,
      values: [...values, limit, offset, SEARCH_WINDOW_PER_ROW * (offset + limit)],
      types: pgTypes,
    });
    if (nearby.rows.length === limit) return nearby.rows;
    // Every match, then the sort. OFFSET 0 keeps the planner from walking the sort's index
    // instead, its choice for `ORDER BY ... LIMIT` when it expects many matches.
    const matches = await this.pool.query<ItemSqlRow>({
      text: `SELECT ${COLUMNS} FROM (SELECT * FROM items${withCondition(filterSql.sql, afterSql)} OFFSET 0) AS items${page}`,
      values: [...values, limit, offset],
      types: pgTypes,
    });
    return matches.rows;
  }

  /** `limit` rows of the filter in `sort` order, from `offset` or (keyset) after `after`. */
  private async pageQuery(
    /** itemWhereSql(filter), built once for the page and the count. */
    filterSql: { sql: string; values: unknown[] },
    filter: ItemFilter,
    sort: ItemSort,
    after: ItemPosition | undefined,
    limit: number,
    offset: number,
  ): Promise<ItemSqlRow[]> {
    const where = filterSql.sql;
    const values = [...filterSql.values];
    const afterSql = after ? itemAfterSql(sort, after, values) : undefined;
    const pageWhere = withCondition(where, afterSql);
    const limitParam = `$${values.push(limit)}`;
    const offsetParam = `$${values.push(offset)}`;
    const order = itemOrderSql(sort);
    // A price range in creation order: the planner's alternative is walking the created_at index
    // and reading each row from the table to test its price (20,000 rows for a 0.1 % range at 1M
    // items, 48 ms). Picking the page's ids from the (price, created_at, id) index alone, then
    // reading those rows, reads the range's index entries and 21 rows (0.4 ms, EXPLAIN ANALYZE;
    // README "Performance").
    const priceRange =
      (filter.minPrice !== undefined || filter.maxPrice !== undefined) && sortFieldOf(sort) === 'createdAt';
    const text = priceRange
      ? `SELECT ${COLUMNS} FROM items WHERE id IN (SELECT id FROM items${pageWhere}${order} LIMIT ${limitParam} OFFSET ${offsetParam})${order}`
      : `SELECT ${COLUMNS} FROM items${pageWhere}${order} LIMIT ${limitParam} OFFSET ${offsetParam}`;
    return (await this.pool.query<ItemSqlRow>({ text, values, types: pgTypes })).rows;
  }
}
