// Repository tests talk to the real database through a Prisma client of their own, which logs
// every SQL statement so the number of queries per call can be asserted.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { PrismaClient } from '../../../src/generated/prisma/client.js';
import { SqlListItemsRepository } from '../../../src/modules/items/fast-paths/items-sql-list.repository.js';
import { decodeItemCursor, encodeItemCursor, type ItemPosition } from '../../../src/modules/items/items-cursor.js';
import { ItemsRepository } from '../../../src/modules/items/items.repository.js';
import type { ItemFilter, ItemSort } from '../../../src/modules/items/items.schemas.js';
import { uniqueEmail } from '../../helpers/factories/users.js';

let prisma: PrismaClient<'query'>;
const statements: string[] = [];
let ownerId: number;
const tag = `repo${Date.now().toString(36)}`;

beforeAll(async () => {
  prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: inject('databaseUrl') }),
    log: [{ emit: 'event', level: 'query' }],
  });
  prisma.$on('query', (event) => statements.push(event.query));
  const owner = await prisma.user.create({ data: { email: uniqueEmail('repo'), name: 'Repo', passwordHash: 'x' } });
  ownerId = owner.id;
});
afterAll(() => prisma.$disconnect());

describe('the SQL list (fast path) against the Prisma list', () => {
  let pool: pg.Pool;
  const sqlTag = `sql${Date.now().toString(36)}`;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
    const repository = new ItemsRepository(prisma);
    const names = ['Alpha lamp', 'beta LAMP', 'Gamma desk', '100%_off lamp', 'Delta chair'];
    for (const [i, name] of names.entries()) {
      await repository.create(ownerId, {
        name,
        description: i % 2 ? `described ${i}` : null,
        price: 10 + i * 5.25,
        tax: i % 2 ? 1.5 : null,
        tags: [sqlTag, `n${i % 2}`],
        images:
          i === 0
            ? []
            : [
                { url: `https://img.example.com/${i}-b.png`, name: 'b' },
                { url: `https://img.example.com/${i}-a.png`, name: 'a' },
              ],
      });
    }
  });
  afterAll(() => pool.end());

  it.each([
    [{}, '-createdAt', 0, 3],
    [{ q: 'lamp' }, 'name', 0, 10],
    [{ q: 'DESCRIBED' }, '-price', 1, 2],
    [{ minPrice: 15.25, maxPrice: 30.5 }, 'price', 0, 10],
    // The price range in creation order picks its page's ids first (a subquery), then the rows.
    [{ minPrice: 15.25, maxPrice: 30.5 }, '-createdAt', 1, 3],
    [{ minPrice: 15.25 }, 'createdAt', 0, 10],
    [{ tag: 'n1' }, '-name', 0, 10],
  ] as const)('answers what Prisma answers for %j sorted by %s', async (extra, sort, skip, limit) => {
    const filter = { tag: sqlTag, ...extra };
    const viaPrisma = await new ItemsRepository(prisma).list(filter, sort, { skip, limit });
    const viaSql = await new SqlListItemsRepository(prisma, pool).list(filter, sort, { skip, limit });
    expect(viaSql).toEqual(viaPrisma);
    expect(viaSql.total).toBeGreaterThan(0);
  });

  it('answers an empty page like Prisma when nothing matches', async () => {
    const filter = { tag: sqlTag, minPrice: 999_999 };
    const page = { skip: 0, limit: 10 };
    const viaSql = await new SqlListItemsRepository(prisma, pool).list(filter, 'createdAt', page);
    expect(viaSql).toEqual(await new ItemsRepository(prisma).list(filter, 'createdAt', page));
    expect(viaSql).toEqual({ items: [], hasMore: false, total: 0, totalIsExact: true });
  });

  it.each([
    ['Prisma', (cap: number) => new ItemsRepository(prisma, cap)],
    ['SQL', (cap: number) => new SqlListItemsRepository(prisma, pool, cap)],
  ] as const)('through %s, stops counting at the cap and says the total is a lower bound', async (_, repository) => {
    const filter = { tag: sqlTag };
    const page = { skip: 0, limit: 2 };
    // Five items match: a cap of 3 reads four rows and answers "at least 3".
    expect(await repository(3).list(filter, 'name', page)).toMatchObject({ total: 3, totalIsExact: false });
    expect((await repository(3).list(filter, 'name', page)).items).toHaveLength(2);
    // At or under the cap the count is exact.
    expect(await repository(5).list(filter, 'name', page)).toMatchObject({ total: 5, totalIsExact: true });
    expect(await repository(10_000).list(filter, 'name', page)).toMatchObject({ total: 5, totalIsExact: true });
  });

  it("counts a search's first page from the page's own read; past the cap, with a count", async () => {
    const filter = { tag: sqlTag, q: 'lamp or desk or chair' }; // all five names
    const repository = (cap: number) => new SqlListItemsRepository(prisma, pool, cap);
    const sent = vi.spyOn(pool, 'query');
    const listed = async (cap: number, skip: number, limit: number) => {
      sent.mockClear();
      const page = await repository(cap).list(filter, 'name', { skip, limit });
      const counts = sent.mock.calls.filter(([config]) => JSON.stringify(config).includes('count(*)')).length;
      return { page, counts };
    };
    try {
      const viaPrisma = (cap: number, skip: number, limit: number) =>
        new ItemsRepository(prisma, cap).list(filter, 'name', { skip, limit });
      // The page ends within the cap: the read of the first cap + 1 matches answers the page,
      // hasMore and the count.
      const within = await listed(3, 1, 2);
      expect(within.counts).toBe(0);
      expect(within.page).toEqual(await viaPrisma(3, 1, 2));
      expect(within.page).toMatchObject({ total: 3, totalIsExact: false, hasMore: true });
      const exact = await listed(10, 3, 2);
      expect(exact.counts).toBe(0);
      expect(exact.page).toEqual(await viaPrisma(10, 3, 2));
      expect(exact.page).toMatchObject({ total: 5, totalIsExact: true, hasMore: false });
      // Past the cap the page reads only its own rows and the count stops at the cap.
      const beyond = await listed(3, 2, 2);
      expect(beyond.counts).toBe(1);
      expect(beyond.page).toEqual(await viaPrisma(3, 2, 2));
      expect(beyond.page.items).toHaveLength(2);
    } finally {
      sent.mockRestore();
    }
  });

  it.each(['-createdAt', 'createdAt', 'name', '-name', 'price', '-price'] as const)(
    'pages by keyset like Prisma does, page after page, listing and searching (sort=%s)',
    async (sort) => {
      for (const filter of [{ tag: sqlTag }, { tag: sqlTag, q: 'lamp or desk or chair' }]) {
        await expectSameKeysetPages(filter, sort);
      }
    },
  );

  async function expectSameKeysetPages(filter: ItemFilter, sort: ItemSort): Promise<void> {
    const walk = async (repository: ItemsRepository) => {
      const ids: number[][] = [];
      let after: ItemPosition | undefined;
      for (;;) {
        const page = await repository.list(filter, sort, { skip: 0, limit: 2 }, after);
        ids.push(page.items.map((item) => item.id));
        const last = page.items.at(-1);
        if (!page.hasMore || !last) return ids;
        after = decodeItemCursor(sort, encodeItemCursor(sort, last));
      }
    };
    const viaPrisma = await walk(new ItemsRepository(prisma));
    expect(await walk(new SqlListItemsRepository(prisma, pool))).toEqual(viaPrisma);
    expect(viaPrisma.map((page) => page.length)).toEqual([2, 2, 1]);
    const oneBigPage = await new ItemsRepository(prisma).list(filter, sort, { skip: 0, limit: 10 });
    expect(viaPrisma.flat()).toEqual(oneBigPage.items.map((item) => item.id));
  }

  it('reads timestamps as UTC and decimals as numbers, whatever the process time zone', async () => {
    const { items } = await new SqlListItemsRepository(prisma, pool).list({ tag: sqlTag, q: 'Alpha' }, 'name', {
      skip: 0,
      limit: 1,
    });
    const stored = await prisma.item.findUniqueOrThrow({ where: { id: items[0]!.id } });
    expect(items[0]!.createdAt.toISOString()).toBe(stored.createdAt.toISOString());
    expect(items[0]!.price).toBe(10);
    expect(items[0]!.tax).toBeNull();
    expect(items[0]!.images).toEqual([]);
  });

  it.each([
    ['a word, any case', 'LAMP', ['100%_off lamp', 'Alpha lamp', 'beta LAMP']],
    ['every word', 'alpha lamp', ['Alpha lamp']],
    ['whole words only, not a prefix', 'alpha lam', []],
    ['whole words only, not a part', 'lph', []],
    ['a phrase', '"beta lamp"', ['beta LAMP']],
    ['or', 'desk or chair', ['Delta chair', 'Gamma desk']],
    ['-word', 'lamp -beta', ['100%_off lamp', 'Alpha lamp']],
    ['punctuation as a separator', '%_off', ['100%_off lamp']],
    ["text-search syntax as text, not as the query's", "lamp:* & !'x' | (", []],
    ['no word at all', '___', []],
  ])('searches words, through Prisma and SQL alike: %s (q=%s)', async (_label, q, names) => {
    const filter = { tag: sqlTag, q };
    const page = { skip: 0, limit: 10 };
    const viaSql = await new SqlListItemsRepository(prisma, pool).list(filter, 'name', page);
    expect(viaSql.items.map((item) => item.name).sort()).toEqual(names);
    expect(viaSql).toEqual(await new ItemsRepository(prisma).list(filter, 'name', page));
  });
});

describe('ItemsRepository', () => {
  it('lists a page with its images in a constant number of queries (no N+1)', async () => {
    const repository = new ItemsRepository(prisma);
    for (let i = 0; i < 12; i++) {
      await repository.create(ownerId, {
        name: `Item ${i}`,
        price: 1 + i,
        tags: [tag],
        images: [
          { url: `https://img.example.com/${i}-a.png`, name: 'a' },
          { url: `https://img.example.com/${i}-b.png`, name: 'b' },
        ],
      });
    }
    statements.length = 0;
    const small = await repository.list({ tag }, 'price', { skip: 0, limit: 2 });
    const smallCount = statements.length;
    statements.length = 0;
    const large = await repository.list({ tag }, 'price', { skip: 0, limit: 12 });
    expect(small.items).toHaveLength(2);
    expect(large.items).toHaveLength(12);
    expect(large.items.every((item) => item.images.length === 2)).toBe(true);
    expect(large.items[0]?.images.map((image) => image.name)).toEqual(['a', 'b']);
    // Same number of statements for 2 and for 12 rows: images are fetched in one batch.
    expect(statements.length).toBe(smallCount);
    expect(statements.length).toBeLessThanOrEqual(3);
  });

  it('maps decimals to numbers and keeps the image order on replace', async () => {
    const repository = new ItemsRepository(prisma);
    const item = await repository.create(ownerId, { name: 'Decimal', price: 19.99, tax: 0.01 });
    expect(item.price).toBe(19.99);
    expect(item.tax).toBe(0.01);
    await repository.replaceImages(item.id, [
      { url: 'https://img.example.com/2.png', name: 'second' },
      { url: 'https://img.example.com/1.png', name: 'first' },
    ]);
    const read = await repository.findById(item.id);
    expect(read?.images.map((image) => image.name)).toEqual(['second', 'first']);
  });

  it('reports missing rows instead of throwing', async () => {
    const repository = new ItemsRepository(prisma);
    expect(await repository.update(2147483000, { name: 'nobody' })).toBeNull();
    expect(await repository.delete(2147483000)).toBe(false);
  });
});
