// An API key's shapes, in one place: the TypeBox schemas and the types derived from them.
import { Type, type Static } from 'typebox';
import { IdParams } from '../../lib/ids.js';
import { DateTime } from '../../lib/openapi.js';
import { Page } from '../../lib/pagination.js';

export const CreateApiKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, description: 'What the key is for, e.g. "CI deploys"' }) },
  { additionalProperties: false, title: 'CreateApiKey', examples: [{ name: 'CI deploys' }] },
);

const apiKeyProperties = {
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  lastUsedAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
};

/** A key as listed or read: metadata only, never the secret nor its hash. */
export const ApiKeyOut = Type.Object(apiKeyProperties, { title: 'ApiKey' });

/** The answer to a creation: the only time the key itself is shown. */
export const CreatedApiKeyOut = Type.Object(
  { ...apiKeyProperties, key: Type.String({ description: 'Send it as `X-API-Key`. Shown once: store it now.' }) },
  { title: 'CreatedApiKey' },
);

export const ApiKeyParams = IdParams;

export const ApiKeyPage = Page(ApiKeyOut, 'ApiKeyPage');

/** A key as stored and returned (DateTime is a Date server-side, lib/openapi.ts). */
export type ApiKey = Static<typeof ApiKeyOut>;
/** A key just created: its metadata and the key itself, never stored, never shown again. */
export type CreatedApiKey = Static<typeof CreatedApiKeyOut>;
