// Item rules: ownership (owner or ADMIN may write), tags as a set, and tax never above price.
// Single reads go through a cache-aside (infra/redis/entity-cache.ts) that every committed
// write invalidates.
import type { Caller } from '../../lib/caller.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { CursorPageResult, Pagination } from '../../lib/pagination.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { strongEtag, type CacheRead, type EntityCache } from '../../infra/redis/entity-cache.js';
import type { ItemsRepository } from './items.repository.js';
import { decodeItemCursor, encodeItemCursor } from './items-cursor.js';
import {
  MAX_ITEM_OFFSET,
  type Item,
  type ItemData,
  type ItemFilter,
  type ItemPatch,
  type ItemSort,
} from './items.schemas.js';

/** Called when an item changes or goes away outside this service (a user's deletion). */
export type ItemChangeListener = (itemId: number) => Promise<void> | void;

export class ItemsService {
  constructor(
    private readonly items: ItemsRepository,
    private readonly uow: UnitOfWork<{ items: ItemsRepository }>,
    /** Holds single reads; without it every read goes to the database. */
    private readonly cache?: Pick<EntityCache, 'read' | 'invalidate'>,
  ) {}

  async get(id: number): Promise<Item> {
    const item = await this.items.findById(id);
    if (!item) throw new NotFoundError('Item not found');
    return item;
  }

  /**
   * The item as a read sends it: its JSON, that JSON's strong ETag, and whether it came from the
   * cache (`hit`). A burst of misses for one item loads it once (the cache's single-flight).
   */
  async read(id: number): Promise<CacheRead> {
    const load = () => this.get(id);
    if (this.cache) return this.cache.read(id, load);
    const body = JSON.stringify(await load());
    return { body, etag: strongEtag(body), hit: false };
  }

  /** A page by offset (`skip`, up to MAX_ITEM_OFFSET) or, from a page's nextCursor, by keyset. */
  async list(filter: ItemFilter, sort: ItemSort, page: Pagination, cursor?: string): Promise<CursorPageResult<Item>> {
    checkPriceRange(filter);
    if (cursor !== undefined && page.skip > 0) {
      throw new ValidationError([{ path: '/querystring/skip', message: 'must be 0 (or left out) with cursor' }]);
    }
    if (page.skip > MAX_ITEM_OFFSET) {
      throw new ValidationError([
        {
          path: '/querystring/skip',
          message: `must be at most ${MAX_ITEM_OFFSET}: page on with cursor (each page's nextCursor)`,
        },
      ]);
    }
    const after = cursor === undefined ? undefined : decodeItemCursor(sort, cursor);
    const { items, hasMore, total, totalIsExact } = await this.items.list(filter, sort, page, after);
    const last = items.at(-1);
    const nextCursor = hasMore && last ? encodeItemCursor(sort, last) : null;
    return { items, total, totalIsExact, ...page, nextCursor };
  }

  create(actor: Pick<Caller, 'id' | 'role'>, data: ItemData): Promise<Item> {
    return this.items.create(actor.id, normalize(data));
  }

  /** PUT: every field is replaced; fields left out return to their defaults. */
  async replace(actor: Pick<Caller, 'id' | 'role'>, id: number, data: ItemData): Promise<Item> {
    await this.writable(actor, id);
    const next = normalize({ description: null, tax: null, tags: [], images: [], ...data });
    const item = await this.uow.run(async ({ items }) => {
      const { images, ...fields } = next;
      await items.update(id, fields);
      await items.replaceImages(id, images ?? []);
      return items.findById(id);
    });
    await this.changed(id);
    return item ?? this.get(id);
  }

  /** PATCH: only the fields sent change; the rules are checked on the merged result. */
  async patch(actor: Pick<Caller, 'id' | 'role'>, id: number, changes: ItemPatch): Promise<Item> {
    const current = await this.writable(actor, id);
    checkTax({ price: changes.price ?? current.price, tax: changes.tax === undefined ? current.tax : changes.tax });
    const { images, ...fields } = changes;
    if (fields.tags) fields.tags = uniqueTags(fields.tags);
    const item = await this.uow.run(async ({ items }) => {
      if (Object.keys(fields).length > 0) await items.update(id, fields);
      if (images) await items.replaceImages(id, images);
      return items.findById(id);
    });
    await this.changed(id);
    return item ?? this.get(id);
  }

  async delete(actor: Pick<Caller, 'id' | 'role'>, id: number): Promise<void> {
    await this.writable(actor, id);
    await this.items.delete(id);
    await this.changed(id);
  }

  /** After a committed write: the cached copy is dropped on every instance (never throws). */
  private async changed(id: number): Promise<void> {
    await this.cache?.invalidate(id);
  }

  private async writable(actor: Pick<Caller, 'id' | 'role'>, id: number): Promise<Item> {
    const item = await this.get(id);
    if (item.ownerId !== actor.id && actor.role !== 'ADMIN')
      throw new ForbiddenError('Only the owner or an admin may change this item');
    return item;
  }
}

function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim()).filter(Boolean))];
}

function checkTax(item: { price: number; tax?: number | null }): void {
  if (item.tax !== undefined && item.tax !== null && item.tax > item.price) {
    throw new ValidationError([{ path: '/body/tax', message: 'must not exceed price' }]);
  }
}

/**
 * An empty range is a client mistake (swapped bounds), not a question whose answer is "nothing":
 * refuse it rather than answer an empty page that looks like a real result. Exported for every
 * endpoint that takes the list filters.
 */
export function checkPriceRange(filter: Pick<ItemFilter, 'minPrice' | 'maxPrice'>): void {
  if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
    throw new ValidationError([
      { path: '/query/minPrice', message: 'must not exceed maxPrice' },
      { path: '/query/maxPrice', message: 'must not be below minPrice' },
    ]);
  }
}

/** The rules every stored item satisfies, shared by the API and the CSV import. */
export function normalize(data: ItemData): ItemData {
  checkTax(data);
  return { ...data, ...(data.tags ? { tags: uniqueTags(data.tags) } : {}) };
}
