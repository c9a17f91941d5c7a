// Items table access: filters, sorting and paging happen in SQL; images come back in the same
// query (`include`), never one query per item. The list, the busiest read that the cache does
// not cover, is written in SQL on the pg pool when the repository has one (see listWithSql).
import pg, { type QueryResult } from 'pg';
import type { PgPool, PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Pagination } from '../../lib/pagination.js';

export interface ItemImage {
  url: string;
  name: string;
}

export interface Item {
  id: number;
  ownerId: number;
  name: string;
  description: string | null;
  price: number;
  tax: number | null;
  tags: string[];
  images: ItemImage[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ItemData {
  name: string;
  description?: string | null;
  price: number;
  tax?: number | null;
  tags?: string[];
  images?: ItemImage[];
}

export type ItemSort = 'name' | '-name' | 'price' | '-price' | 'createdAt' | '-createdAt';

export interface ItemFilter {
  q?: string;
  tag?: string;
  minPrice?: number;
  maxPrice?: number;
  ownerId?: number;
}

const withImages = { images: { orderBy: { position: 'asc' as const }, select: { url: true, name: true } } };

type ItemRow = Prisma.ItemGetPayload<{ include: typeof withImages }>;

function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    description: row.description,
    price: row.price.toNumber(),
    tax: row.tax === null ? null : row.tax.toNumber(),
    tags: row.tags,
    images: row.images,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function itemWhere(filter: ItemFilter): Prisma.ItemWhereInput {
  const where: Prisma.ItemWhereInput = {};
  if (filter.q) {
    where.OR = [
      { name: { contains: filter.q, mode: 'insensitive' } },
      { description: { contains: filter.q, mode: 'insensitive' } },
    ];
  }
  if (filter.tag) where.tags = { has: filter.tag };
  if (filter.minPrice !== undefined || filter.maxPrice !== undefined) {
    where.price = { gte: filter.minPrice, lte: filter.maxPrice };
  }
  if (filter.ownerId !== undefined) where.ownerId = filter.ownerId;
  return where;
}

export function itemOrderBy(sort: ItemSort): Prisma.ItemOrderByWithRelationInput[] {
  const direction = sort.startsWith('-') ? 'desc' : 'asc';
  const field = sort.replace(/^-/, '') as 'name' | 'price' | 'createdAt';
  // The id tie-breaker keeps pages stable when many rows share a value.
  return [{ [field]: direction }, { id: direction }];
}

function imageRows(images: ItemImage[] | undefined) {
  return (images ?? []).map((image, position) => ({ ...image, position }));
}

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

const SORT_COLUMNS: Record<string, string> = { name: 'name', price: 'price', createdAt: 'created_at' };

/** A LIKE pattern matching `text` literally (%, _ and \ escaped), like the CSV export. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** ` ORDER BY <column> <dir>, id <dir>`: the id tie-breaker keeps pages (and exports) stable. */
export function itemOrderSql(sort: ItemSort): string {
  const column = SORT_COLUMNS[sort.replace(/^-/, '')];
  if (!column) throw new TypeError(`unknown sort: ${sort}`);
  const direction = sort.startsWith('-') ? 'DESC' : 'ASC';
  return ` ORDER BY ${column} ${direction}, id ${direction}`;
}

/** The WHERE clause of `filter` with numbered parameters, the same conditions as itemWhere. */
export function itemWhereSql(filter: ItemFilter): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (filter.q) {
    const pattern = param(containsPattern(filter.q));
    where.push(`(name ILIKE ${pattern} OR description ILIKE ${pattern})`);
  }
  if (filter.tag) where.push(`tags @> ARRAY[${param(filter.tag)}]::text[]`);
  if (filter.minPrice !== undefined) where.push(`price >= ${param(filter.minPrice)}`);
  if (filter.maxPrice !== undefined) where.push(`price <= ${param(filter.maxPrice)}`);
  if (filter.ownerId !== undefined) where.push(`owner_id = ${param(filter.ownerId)}`);
  return { sql: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', values };
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

export class ItemsRepository {
  /**
   * `pool`: the pg pool under Prisma. With it, `list` runs its three statements itself (what
   * Prisma sends, minus its query planning and result mapping: the list answered 0.56 of the
   * same query in bare Fastify through Prisma, see tools/bench/results); without it (a repository
   * bound to a transaction, tests), Prisma does.
   */
  constructor(
    private readonly db: Pick<PrismaClient, 'item' | 'itemImage'>,
    private readonly pool?: PgPool,
  ) {}

  async findById(id: number): Promise<Item | null> {
    const row = await this.db.item.findUnique({ where: { id }, include: withImages });
    return row ? toItem(row) : null;
  }

  async list(filter: ItemFilter, sort: ItemSort, page: Pagination): Promise<{ items: Item[]; total: number }> {
    if (this.pool) return this.listWithSql(this.pool, filter, sort, page);
    const where = itemWhere(filter);
    const [rows, total] = await Promise.all([
      this.db.item.findMany({
        where,
        include: withImages,
        orderBy: itemOrderBy(sort),
        skip: page.skip,
        take: page.limit,
      }),
      this.db.item.count({ where }),
    ]);
    return { items: rows.map(toItem), total };
  }

  /** The list in SQL: the page and the count together, then the page's images in one query. */
  private async listWithSql(
    pool: PgPool,
    filter: ItemFilter,
    sort: ItemSort,
    page: Pagination,
  ): Promise<{ items: Item[]; total: number }> {
    const { sql: where, values } = itemWhereSql(filter);
    const n = values.length;
    const [rows, count] = await Promise.all([
      pool.query<ItemSqlRow>({
        text: `SELECT id, owner_id, name, description, price, tax, tags, created_at, updated_at FROM items${where}${itemOrderSql(sort)} LIMIT $${n + 1} OFFSET $${n + 2}`,
        values: [...values, page.limit, page.skip],
        types: pgTypes,
      }),
      pool.query<{ total: number }>({ text: `SELECT count(*)::int AS total FROM items${where}`, values }),
    ]);
    const ids = rows.rows.map((row) => row.id);
    const images: QueryResult<{ item_id: number; url: string; name: string }> | undefined =
      ids.length > 0
        ? await pool.query({
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
      items: rows.rows.map((row) => ({
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
      total: count.rows[0]?.total ?? 0,
    };
  }

  async create(ownerId: number, data: ItemData): Promise<Item> {
    const { images, ...fields } = data;
    const row = await this.db.item.create({
      data: { ...fields, ownerId, images: { create: imageRows(images) } },
      include: withImages,
    });
    return toItem(row);
  }

  /** Updates the item's own columns; images are handled by replaceImages. */
  async update(id: number, data: Partial<Omit<ItemData, 'images'>>): Promise<Item | null> {
    const { count } = await this.db.item.updateMany({ where: { id }, data });
    return count === 0 ? null : this.findById(id);
  }

  async replaceImages(itemId: number, images: ItemImage[]): Promise<void> {
    await this.db.itemImage.deleteMany({ where: { itemId } });
    if (images.length > 0)
      await this.db.itemImage.createMany({ data: imageRows(images).map((row) => ({ ...row, itemId })) });
  }

  async delete(id: number): Promise<boolean> {
    const { count } = await this.db.item.deleteMany({ where: { id } });
    return count > 0;
  }
}
