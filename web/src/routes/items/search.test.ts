import { describe, expect, it } from 'vitest';
import { itemsQuery, nextPage, previousPage, validateItemsSearch } from './search';

describe('items search in the URL', () => {
  it('keeps valid filters and drops invalid ones', () => {
    expect(
      validateItemsSearch({ q: ' lamp ', tag: 'home', minPrice: '5', maxPrice: -1, sort: 'price', cursor: 'a b' }),
    ).toEqual({
      q: 'lamp',
      tag: 'home',
      minPrice: 5,
      maxPrice: undefined,
      sort: 'price',
      cursor: undefined,
      back: undefined,
    });
  });

  it('walks forward with the cursor and back through the cursor stack', () => {
    const first = { q: 'lamp' };
    const second = nextPage(first, 'c2');
    const third = nextPage(second, 'c3');
    expect(third).toMatchObject({ q: 'lamp', cursor: 'c3', back: '.~c2' });
    expect(previousPage(third)).toEqual({ q: 'lamp', cursor: 'c2', back: '.' });
    expect(previousPage(previousPage(third))).toEqual({ q: 'lamp', cursor: undefined, back: undefined });
  });

  it('sends q only from 2 characters (the api minimum)', () => {
    expect(itemsQuery({ q: 'l' }, 20)).toEqual({ limit: 20 });
    expect(itemsQuery({ q: 'tv', cursor: 'c2', sort: '-price' }, 20)).toEqual({
      limit: 20,
      q: 'tv',
      cursor: 'c2',
      sort: '-price',
    });
  });
});
