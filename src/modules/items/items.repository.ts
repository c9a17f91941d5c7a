// Items table access, through Prisma: filters, sorting and paging happen in SQL; images come
// back in the same query (`include`), never one query per item.
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { cappedCount, type Count, type Pagination } from '../../lib/pagination.js';
import { sortFieldOf, type ItemPosition } from './items-cursor.js';
import { itemSearchSql } from './items-search.js';
import type { Item, ItemData, ItemFilter, ItemImage, ItemPatch, ItemSort } from './items.schemas.js';

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

/** The filter's conditions; a search's arrive as the ids that match it (`matchingIds`). */
function itemWhere(filter: ItemFilter, searchIds?: number[]): Prisma.ItemWhereInput {
  const where: Prisma.ItemWhereInput = {};
  if (searchIds) where.id = { in: searchIds };
  if (filter.tag) where.tags = { has: filter.tag };
  if (filter.minPrice !== undefined || filter.maxPrice !== undefined) {
    where.price = { gte: filter.minPrice, lte: filter.maxPrice };
  }
  return where;
}

function itemOrderBy(sort: ItemSort): Prisma.ItemOrderByWithRelationInput[] {
  const direction = sort.startsWith('-') ? 'desc' : 'asc';
  const field = sortFieldOf(sort);
  // The id tie-breaker keeps pages stable when many rows share a value.
  return [{ [field]: direction }, { id: direction }];
}

/** The rows after `after` in `sort` order: a greater (or, descending, smaller) key, or the same key and id. */
function itemAfter(sort: ItemSort, after: ItemPosition): Prisma.ItemWhereInput {
  const field = sortFieldOf(sort);
  const beyond = sort.startsWith('-') ? 'lt' : 'gt';
  return { OR: [{ [field]: { [beyond]: after.value } }, { [field]: after.value, id: { [beyond]: after.id } }] };
}

function imageRows(images: ItemImage[] | undefined) {
  return (images ?? []).map((image, position) => ({ ...image, position }));
}

/**
 * Lists count at most this many matching items (lib/pagination.ts `Count`). The count reads one
 * table row per match up to the cap (a tag's matches are found in its GIN index, but whether
 * each row is visible is only known from the table), so its cost is proportional to the cap: at
 * 1M items `tag=t7` (2 % of the rows) counted to 10,000 at 5× its page's cost, to 1,000 at 14 ms
 * (4× the page), to 100 at 1.5 ms. A page holds at most 100 items (MAX_PAGE_SIZE), so "at least
 * 100" still says whether there is more than one full page (README "Performance").
 */
export const ITEM_COUNT_CAP = 100;

/** What the repository uses of a Prisma client or transaction. */
export type ItemsDb = Pick<PrismaClient, 'item' | 'itemImage' | '$queryRawUnsafe'>;

export class ItemsRepository {
  constructor(
    private readonly db: ItemsDb,
    /** Tests lower it to see the cap at work without ten thousand rows. */
    protected readonly countCap = ITEM_COUNT_CAP,
  ) {}

  async findById(id: number): Promise<Item | null> {
    const row = await this.db.item.findUnique({ where: { id }, include: withImages });
    return row ? toItem(row) : null;
  }

  /**
   * One page in `sort` order: from `after` when given (keyset), else from `page.skip`. Reads one
   * row more than the page to tell whether another page follows (`hasMore`).
   */
  async list(
    filter: ItemFilter,
    sort: ItemSort,
    page: Pagination,
    after?: ItemPosition,
  ): Promise<{ items: Item[]; hasMore: boolean } & Count> {
    const where = itemWhere(filter, filter.q === undefined ? undefined : await this.matchingIds(filter.q));
    const [rows, total] = await Promise.all([
      this.db.item.findMany({
        where: after ? { AND: [where, itemAfter(sort, after)] } : where,
        include: withImages,
        orderBy: itemOrderBy(sort),
        skip: after ? 0 : page.skip,
        take: page.limit + 1,
      }),
      // Reads at most countCap + 1 rows: `SELECT count(*) FROM (SELECT ... LIMIT n)`.
      this.db.item.count({ where, take: this.countCap + 1 }),
    ]);
    return {
      items: rows.slice(0, page.limit).map(toItem),
      hasMore: rows.length > page.limit,
      ...cappedCount(total, this.countCap),
    };
  }

  /**
   * The ids of every item whose words match `q` (items-search.ts). Prisma's query API cannot
   * state a full-text match, so this one query is SQL (a constant text; `q` is bound as $1). It
   * reads every match: fine for thousands; the list that serves requests
   * (fast-paths/items-sql-list.repository.ts) pages through the matches in SQL instead.
   */
  private async matchingIds(q: string): Promise<number[]> {
    const rows = await this.db.$queryRawUnsafe<{ id: number }[]>(
      `SELECT id FROM items WHERE ${itemSearchSql('$1')}`,
      q,
    );
    return rows.map((row) => row.id);
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
  async update(id: number, data: Omit<ItemPatch, 'images'>): Promise<Item | null> {
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
