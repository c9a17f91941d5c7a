// The items list's state lives in the URL (shareable, Back/Forward work): the filters, the sort
// and the page. Pages use the api's keyset cursor; `back` is the stack of the cursors of the
// earlier pages ("~" separated; "." is the first page), so "Previous page" needs no server offset.
export const SORTS = ['-createdAt', 'createdAt', 'name', '-name', 'price', '-price'] as const;
export type Sort = (typeof SORTS)[number];

export interface ItemsSearch {
  q?: string;
  tag?: string;
  minPrice?: number;
  maxPrice?: number;
  sort?: Sort;
  cursor?: string;
  back?: string;
}

const CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function price(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** Parses the query string leniently: an invalid value is dropped rather than failing the page. */
export function validateItemsSearch(raw: Record<string, unknown>): ItemsSearch {
  const sort = SORTS.find((s) => s === raw.sort);
  const cursor = text(raw.cursor);
  const back = typeof raw.back === 'string' && /^[A-Za-z0-9_.~-]+$/.test(raw.back) ? raw.back : undefined;
  return {
    q: text(raw.q),
    tag: text(raw.tag),
    minPrice: price(raw.minPrice),
    maxPrice: price(raw.maxPrice),
    sort,
    cursor: cursor && CURSOR.test(cursor) ? cursor : undefined,
    back: cursor ? back : undefined,
  };
}

const FIRST_PAGE = '.';

function stackOf(search: ItemsSearch): string[] {
  return search.back ? search.back.split('~') : [];
}

/** The search of the next page: the current page's cursor is pushed on the back stack. */
export function nextPage(search: ItemsSearch, nextCursor: string): ItemsSearch {
  const stack = [...stackOf(search), search.cursor ?? FIRST_PAGE];
  return { ...search, cursor: nextCursor, back: stack.join('~') };
}

/** The search of the previous page: the back stack is popped. */
export function previousPage(search: ItemsSearch): ItemsSearch {
  const stack = stackOf(search);
  const cursor = stack.pop();
  return {
    ...search,
    cursor: cursor && cursor !== FIRST_PAGE ? cursor : undefined,
    back: stack.length > 0 ? stack.join('~') : undefined,
  };
}

/** The filters only (a filter change starts again from the first page). */
export function filtersOf(search: ItemsSearch): ItemsSearch {
  return { q: search.q, tag: search.tag, minPrice: search.minPrice, maxPrice: search.maxPrice, sort: search.sort };
}

/** The shortest `q` the api takes: a word search finds two-letter words (`tv`). */
export const MIN_SEARCH_LENGTH = 2;

/** The api's query for a page of items; a `q` shorter than the api takes is not sent. */
export function itemsQuery(search: ItemsSearch, limit: number) {
  return {
    limit,
    ...(search.q && search.q.length >= MIN_SEARCH_LENGTH ? { q: search.q } : {}),
    ...(search.tag ? { tag: search.tag } : {}),
    ...(search.minPrice !== undefined ? { minPrice: search.minPrice } : {}),
    ...(search.maxPrice !== undefined ? { maxPrice: search.maxPrice } : {}),
    ...(search.sort ? { sort: search.sort } : {}),
    ...(search.cursor ? { cursor: search.cursor } : {}),
  };
}
