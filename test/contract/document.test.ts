// What the OpenAPI document must say, operation by operation (issue 11): parameter bounds and
// optionality, the shared error responses and headers, operation ids, security, tags, media
// types, enums and response descriptions. The Redocly lint (openapi-lint.test.ts) checks the
// document's form; this checks that it says what the API does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { INT4_MAX } from '../../src/lib/ids.js';
import { buildTestApp } from '../helpers/app.js';

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Json;
}
interface Response {
  description: string;
  $ref?: string;
  headers?: Record<string, Json>;
  content?: Record<string, { schema?: Json }>;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, Response>;
}
interface Document {
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response>; headers: Record<string, Json> };
}

let app: App;
let document: Document;
const operations: Array<{ method: string; path: string; operation: Operation }> = [];
const where = (entry: { method: string; path: string }) => `${entry.method.toUpperCase()} ${entry.path}`;
/** A response object, following a `$ref` into components.responses. */
const resolve = (response: Response): Response =>
  response.$ref ? (document.components.responses[response.$ref.split('/').pop() as string] as Response) : response;
const isProbe = (path: string) => path.startsWith('/health/');
const isWebSocket = (path: string) => path.startsWith('/ws/');

beforeAll(async () => {
  app = await buildTestApp();
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) operations.push({ method, path, operation });
  }
});
afterAll(() => app.close());

describe('parameters (findings 2 and 4)', () => {
  it('bounds every integer path and query parameter to its int4 column', () => {
    const integers = operations.flatMap((entry) =>
      (entry.operation.parameters ?? [])
        .filter((parameter) => parameter.schema.type === 'integer')
        .map((parameter) => ({
          at: `${where(entry)} ${parameter.in} ${parameter.name}`,
          minimum: parameter.schema.minimum,
          maximum: parameter.schema.maximum,
        })),
    );
    expect(integers.length).toBeGreaterThan(10);
    const unbounded = integers.filter(
      (schema) =>
        typeof schema.minimum !== 'number' ||
        typeof schema.maximum !== 'number' ||
        (schema.maximum as number) > INT4_MAX,
    );
    expect(unbounded).toEqual([]);
    const ids = integers.filter((schema) => schema.at.endsWith('path id'));
    expect(ids.map((schema) => [schema.minimum, schema.maximum])).toEqual(ids.map(() => [1, INT4_MAX]));
  });

  it('documents a query parameter with a default as optional', () => {
    const defaults = operations.flatMap((entry) =>
      (entry.operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query' && parameter.schema.default !== undefined)
        .map((parameter) => ({ at: `${where(entry)} ${parameter.name}`, required: parameter.required })),
    );
    expect(defaults.map((parameter) => parameter.at)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/items skip',
        'GET /api/v1/items limit',
        'GET /api/v1/items sort',
        'GET /api/v1/items/export.csv sort',
      ]),
    );
    expect(defaults.filter((parameter) => parameter.required !== false)).toEqual([]);
  });
});

describe('responses (finding 5)', () => {
  it('every operation with a body documents 400, 413 and 415', () => {
    const withBody = operations.filter((entry) => entry.operation.requestBody);
    expect(withBody.length).toBeGreaterThan(10);
    const missing = withBody.flatMap((entry) =>
      ['400', '413', '415']
        .filter((status) => !entry.operation.responses[status])
        .map((status) => `${where(entry)} ${status}`),
    );
    expect(missing).toEqual([]);
  });

  it('every rate-limited operation (all but /health) documents 429 with Retry-After and X-RateLimit-*, and 503', () => {
    const missing: string[] = [];
    for (const entry of operations.filter((candidate) => !isProbe(candidate.path))) {
      for (const status of ['429', '503']) {
        const response = entry.operation.responses[status];
        if (!response) {
          missing.push(`${where(entry)} ${status}`);
          continue;
        }
        for (const header of ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
          if (!resolve(response).headers?.[header]) missing.push(`${where(entry)} ${status} ${header}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('every response declares X-Request-Id; 401 declares WWW-Authenticate', () => {
    const missing = operations.flatMap((entry) =>
      Object.entries(entry.operation.responses).flatMap(([status, response]) => {
        const headers = resolve(response).headers ?? {};
        return [
          ...(headers['X-Request-Id'] ? [] : [`${where(entry)} ${status} X-Request-Id`]),
          ...(status === '401' && !headers['WWW-Authenticate'] ? [`${where(entry)} 401 WWW-Authenticate`] : []),
        ];
      }),
    );
    expect(missing).toEqual([]);
  });

  it.each([
    ['post', '/api/v1/items', '201', ['Location']],
    ['get', '/api/v1/items/{id}', '200', ['ETag', 'Cache-Control', 'X-Cache']],
    ['get', '/api/v1/items/{id}', '304', ['ETag']],
    ['post', '/api/v1/users/me/api-keys', '201', ['Location']],
    ['post', '/api/v1/reports/items', '202', ['Location']],
    ['post', '/api/v1/items/import', '202', ['Location']],
    ['get', '/api/v1/files/{id}/content', '200', ['ETag', 'Content-Disposition', 'Content-Length', 'Accept-Ranges']],
    ['get', '/api/v1/files/{id}/content', '206', ['ETag', 'Content-Range']],
    ['get', '/api/v1/files/{id}/content', '304', ['ETag']],
    ['get', '/api/v1/files/{id}/content', '416', ['Content-Range']],
    ['post', '/api/v1/auth/token', '200', ['Set-Cookie', 'Cache-Control']],
  ])('%s %s %s declares %j as always sent', (method, path, status, names) => {
    const headers = document.paths[path]?.[method]?.responses[status]?.headers ?? {};
    for (const name of names) expect(headers[name], name).toMatchObject({ required: true });
  });

  it('a 304 documents no content', () => {
    const notModified = operations
      .filter((entry) => entry.operation.responses['304'])
      .map((entry) => entry.operation.responses['304']?.content);
    expect(notModified).toEqual([undefined, undefined, undefined]); // items, file download (GET and HEAD)
  });

  it('a 2XX on every operation but WebSocket upgrades, a 4XX on every operation but the probes (the Redocly rules turned off)', () => {
    expect(
      operations
        .filter(
          (entry) =>
            !isWebSocket(entry.path) &&
            !Object.keys(entry.operation.responses).some((status) => status.startsWith('2')),
        )
        .map(where),
    ).toEqual([]);
    expect(
      operations
        .filter(
          (entry) =>
            !isProbe(entry.path) && !Object.keys(entry.operation.responses).some((status) => status.startsWith('4')),
        )
        .map(where),
    ).toEqual([]);
  });
});

describe('download media type (finding 6)', () => {
  it('documents each type a file can be stored with, and nothing else', () => {
    const content = document.paths['/api/v1/files/{id}/content']?.get?.responses['200']?.content ?? {};
    expect(Object.keys(content).sort()).toEqual([...new Set([...app.config.allowedUploadTypes, 'text/csv'])].sort());
  });
});

describe('operation ids, security, tags, array bounds (finding 7)', () => {
  it('every operation has a unique camelCase operationId', () => {
    const ids = operations.map((entry) => entry.operation.operationId);
    expect(
      operations.filter((entry) => !/^[a-z][a-zA-Z0-9]*$/.test(entry.operation.operationId ?? '')).map(where),
    ).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the ids clients are generated from', () => {
    const byRoute = Object.fromEntries(operations.map((entry) => [where(entry), entry.operation.operationId]));
    expect(byRoute).toMatchObject({
      'POST /api/v1/auth/token': 'login',
      'GET /api/v1/items': 'listItems',
      'POST /api/v1/items': 'createItem',
      'GET /api/v1/items/{id}': 'getItem',
      'GET /api/v1/files/{id}/content': 'downloadFile',
      'HEAD /api/v1/files/{id}/content': 'headDownloadFile',
      'GET /api/v1/users/{id}': 'getUser',
    });
  });

  it('says security on every operation: [] on public ones, a scheme on protected ones', () => {
    expect(operations.filter((entry) => !Array.isArray(entry.operation.security)).map(where)).toEqual([]);
    const publicOps = operations.filter((entry) => entry.operation.security?.length === 0).map(where);
    expect(publicOps).toEqual(
      expect.arrayContaining([
        'GET /health/live',
        'GET /api/v1/info',
        'POST /api/v1/auth/token',
        'GET /api/v1/items',
        'GET /api/v1/items/{id}',
      ]),
    );
    expect(publicOps).not.toContain('POST /api/v1/items');
    expect(publicOps).not.toContain('GET /api/v1/users/me');
  });

  it('declares every tag it uses', () => {
    const declared = new Set(document.tags.map((tag) => tag.name));
    const used = new Set(operations.flatMap((entry) => entry.operation.tags ?? []));
    expect([...used].filter((tag) => !declared.has(tag))).toEqual([]);
    expect(used).toContain('jobs');
    expect(used).toContain('reports');
  });

  it('bounds every array of a request body and of a 2XX body (maxItems)', () => {
    const unbounded: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      if ((node as Json).type === 'array' && (node as Json).maxItems === undefined) unbounded.push(at);
      for (const [key, value] of Object.entries(node)) visit(value, `${at}/${key}`);
    };
    for (const entry of operations) {
      visit(entry.operation.requestBody, `${where(entry)} body`);
      for (const [status, response] of Object.entries(entry.operation.responses))
        if (status.startsWith('2')) visit(response.content, `${where(entry)} ${status}`);
    }
    expect(unbounded).toEqual([]);
  });

  it('bounds the upload to its 20 parts', () => {
    const schema = document.paths['/api/v1/files']?.post?.requestBody?.content['multipart/form-data']?.schema as {
      properties: { file: Json };
    };
    expect(schema.properties.file).toMatchObject({ minItems: 1, maxItems: 20 });
  });
});

describe('schemas and descriptions (finding 18)', () => {
  it('documents each enum as one `enum`, never an anyOf of one-value enums or consts', () => {
    const found: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      const anyOf = (node as { anyOf?: Json[] }).anyOf;
      if (
        Array.isArray(anyOf) &&
        anyOf.length > 1 &&
        anyOf.every((member) => 'const' in member || (Array.isArray(member.enum) && member.enum.length === 1))
      )
        found.push(at);
      for (const [key, value] of Object.entries(node)) visit(value, `${at}/${key}`);
    };
    visit(document.paths, '#/paths');
    expect(found).toEqual([]);
    const sort = document.paths['/api/v1/items']?.get?.parameters?.find((parameter) => parameter.name === 'sort');
    expect(sort?.schema).toMatchObject({
      enum: ['name', '-name', 'price', '-price', 'createdAt', '-createdAt'],
      default: '-createdAt',
    });
  });

  it('gives every 2XX response a real description', () => {
    const vague = operations.flatMap((entry) =>
      Object.entries(entry.operation.responses)
        .filter(
          ([status, response]) =>
            status.startsWith('2') && (!response.description || response.description === 'Default Response'),
        )
        .map(([status]) => `${where(entry)} ${status}`),
    );
    expect(vague).toEqual([]);
  });

  it('documents money with the exact decimals rule, not a float multipleOf', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('multipleOf');
    const price = (
      document.paths['/api/v1/items']?.post?.requestBody?.content['application/json']?.schema as {
        properties: Record<string, Json>;
      }
    ).properties.price;
    expect(price).toMatchObject({ type: 'number', exclusiveMinimum: 0, maximum: 1_000_000_000, 'x-decimal-places': 2 });
  });
});
