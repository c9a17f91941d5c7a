// The item's shapes, in one place: the TypeBox schemas (validation, serialization and the OpenAPI
// document) and the types every layer uses, derived from them so they cannot drift apart.
import { Type, type Static } from 'typebox';
import { IdParams } from '../../lib/ids.js';
import { DateTime } from '../../lib/openapi.js';
import { Money } from '../../lib/money.js';
import { CursorPage, paginationProperties } from '../../lib/pagination.js';

// Two decimals exactly (see lib/money.ts), in JSON and in the CSV import alike.
export const Price = Money({
  exclusiveMinimum: 0,
  description: 'Greater than 0, at most 1,000,000,000, two decimals at most (19.99 yes, 19.999 no)',
});
export const Tax = Money({ minimum: 0, description: 'Not above price; two decimals at most' });
const Tag = Type.String({ minLength: 1, maxLength: 30, pattern: '^[\\w-]+$' });

export const ImageSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false, title: 'Image' },
);

const itemFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  price: Price,
  tax: Type.Optional(Type.Union([Tax, Type.Null()])),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 20, description: 'A set: duplicates are dropped' })),
  images: Type.Optional(Type.Array(ImageSchema, { maxItems: 10 })),
};

/** POST and PUT: the whole item (PUT resets whatever is left out). */
export const ItemBody = Type.Object(itemFields, {
  additionalProperties: false,
  title: 'ItemInput',
  examples: [
    {
      name: 'Desk lamp',
      description: 'A warm light',
      price: 49.9,
      tax: 9.48,
      tags: ['light', 'office'],
      images: [{ url: 'https://img.example.com/lamp.png', name: 'front' }],
    },
  ],
});

/** PATCH: any subset, at least one field. */
export const ItemPatchBody = Type.Object(
  {
    name: Type.Optional(itemFields.name),
    description: itemFields.description,
    price: Type.Optional(Price),
    tax: itemFields.tax,
    tags: itemFields.tags,
    images: itemFields.images,
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'ItemPatch',
    examples: [{ price: 44.9, tags: ['light', 'sale'] }],
  },
);

export const ItemOut = Type.Object(
  {
    id: Type.Integer(),
    ownerId: Type.Integer(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    price: Type.Number(),
    tax: Type.Union([Type.Number(), Type.Null()]),
    tags: Type.Array(Type.String(), { maxItems: 20 }),
    images: Type.Array(Type.Object({ url: Type.String(), name: Type.String() }), { maxItems: 10 }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'Item' },
);

export const ItemSortSchema = Type.Enum(['name', '-name', 'price', '-price', 'createdAt', '-createdAt'], {
  default: '-createdAt',
  description: 'Field to sort by; a leading "-" sorts descending (default -createdAt)',
});

const filterProperties = {
  q: Type.Optional(
    Type.String({
      // Two letters: a word search finds short words (`tv`); nothing shorter is worth a query.
      minLength: 2,
      maxLength: 50,
      description:
        'Words to find in the name and description, in any case; every word must be there. Also `"a phrase"`, `or` and `-word` (PostgreSQL\'s websearch syntax); other punctuation only separates words. Whole words: `lam` and `amp` do not find "lamp".',
    }),
  ),
  tag: Type.Optional(Tag),
  minPrice: Type.Optional(Type.Number({ minimum: 0, description: 'Inclusive; not above maxPrice' })),
  maxPrice: Type.Optional(Type.Number({ minimum: 0, description: 'Inclusive; not below minPrice' })),
};

/** Past this offset `skip` is refused (422): page on with `cursor`, which costs the same at any depth. */
export const MAX_ITEM_OFFSET = 10_000;

export const ListItemsQuery = Type.Object(
  {
    ...paginationProperties,
    ...filterProperties,
    sort: ItemSortSchema,
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 400,
        pattern: '^[A-Za-z0-9_-]+$',
        description: `The nextCursor of the previous page (same filters and sort; no skip). Deep pages: skip stops at ${MAX_ITEM_OFFSET}`,
      }),
    ),
  },
  { additionalProperties: false },
);

/** The export takes the list's filters and sort, without paging. */
export const ExportItemsQuery = Type.Object(
  { ...filterProperties, sort: ItemSortSchema },
  { additionalProperties: false },
);

export const ItemParams = IdParams;
export const ItemPage = CursorPage(ItemOut, 'ItemPage');

// The types, one per shape. `DateTime` is a Date on the server side (lib/openapi.ts), so the
// response schema's type is also the domain type the repository returns.

/** An item as stored and returned. */
export type Item = Static<typeof ItemOut>;
export type ItemImage = Static<typeof ImageSchema>;
/** A whole item as written (POST, PUT, the CSV import): the body's type. */
export type ItemData = Static<typeof ItemBody>;
/** The fields a PATCH changes. */
export type ItemPatch = Static<typeof ItemPatchBody>;
/** The list's (and the export's) filters: the query without paging and sort. */
export type ItemFilter = Omit<Static<typeof ExportItemsQuery>, 'sort'>;
export type ItemSort = Static<typeof ItemSortSchema>;
