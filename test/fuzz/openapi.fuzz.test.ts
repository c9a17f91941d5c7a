// Property-based fuzzing driven by the app's own OpenAPI document: every documented operation
// gets random and invalid path values, query strings, bodies, content types and credentials.
// Whatever is sent, the app must never answer 5xx, every error must be problem+json, every 2xx
// JSON body must validate against the documented response schema, and the app must still be
// ready at the end.
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';
import { createUser, type TestUser } from '../helpers/factories/users.js';

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  requestTypes: string[];
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

type OpenApiDocument = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: { content: Record<string, unknown> };
        responses: Operation['responses'];
      }
    >
  >;
};

// Operations whose responses never end on their own (event streams) cannot be fuzzed with
// inject; they have dedicated tests. Logout and key deletion are fuzzed, just with junk input.
const STREAMING = (op: Operation) =>
  Object.values(op.responses).some((r) => r.content && 'text/event-stream' in r.content);
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);

function operations(document: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        requestTypes: Object.keys(op.requestBody?.content ?? {}),
        responses: op.responses,
      });
    }
  }
  return ops;
}

const junkString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '2147483648',
    '1e309',
    'NaN',
    'null',
    '../../etc/passwd',
    '%00',
    '%2e%2e%2f',
    ' ',
    "' OR 1=1 --",
    '<script>',
    '\u0000',
    '🙂'.repeat(30),
    'a'.repeat(5000),
  ),
  fc.integer().map(String),
  fc.uuid(),
);

const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom(
      'name',
      'price',
      'tax',
      'tags',
      'images',
      'email',
      'password',
      'username',
      'role',
      'isActive',
      'description',
      '__proto__',
      'constructor',
      'refresh_token',
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

const bodyArb = fc.oneof(
  jsonValue.map((value) => ({ contentType: 'application/json', payload: JSON.stringify(value) })),
  fc.string({ maxLength: 200 }).map((text) => ({ contentType: 'application/json', payload: text })),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })).map((form) => ({
    contentType: 'application/x-www-form-urlencoded',
    payload: new URLSearchParams(form).toString(),
  })),
  fc.string({ maxLength: 200 }).map((text) => ({
    contentType: 'multipart/form-data; boundary=fuzz',
    payload: `--fuzz\r\nContent-Disposition: form-data; name="file"; filename="${text.replace(/"/g, '')}"\r\n\r\n${text}\r\n--fuzz--\r\n`,
  })),
  fc
    .constantFrom('text/plain', 'application/xml', 'application/octet-stream', 'text/csv')
    .chain((contentType) => fc.string({ maxLength: 100 }).map((payload) => ({ contentType, payload }))),
);

let app: App;
let user: TestUser;
let document: OpenApiDocument;
const ajv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS: under ESM its plugin is the `default` property of the module.
ajvFormats.default(ajv);

beforeAll(async () => {
  app = await buildTestApp();
  user = await createUser(app);
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => app.close());

describe('fuzzing every documented operation', () => {
  it('finds the operations in the document', () => {
    expect(operations(document).length).toBeGreaterThan(10);
  });

  it('never answers 5xx, errors are problem+json, 2xx bodies match their schemas', async () => {
    const validators = new Map<string, ReturnType<typeof ajv.compile>>();
    const failures: string[] = [];
    for (const op of operations(document).filter((candidate) => !STREAMING(candidate))) {
      await fc.assert(
        fc.asyncProperty(
          // An empty segment would address another route (the list), not this operation.
          fc.array(
            junkString.filter((value) => value.length > 0),
            { minLength: op.pathParams.length, maxLength: op.pathParams.length },
          ),
          fc.dictionary(fc.constantFrom(...op.queryParams, 'x', 'skip', 'limit'), junkString, { maxKeys: 4 }),
          fc.option(bodyArb, { nil: undefined }),
          fc.constantFrom('none', 'valid', 'junk', 'apikey-junk'),
          // Headers the app reads besides credentials, with junk values.
          fc.dictionary(
            fc.constantFrom(
              'x-request-id',
              'if-none-match',
              'if-range',
              'range',
              'cookie',
              'accept',
              'accept-encoding',
              'x-forwarded-for',
            ),
            junkString.map((value) => value.replace(/[^\x20-\x7e]/g, '')),
            { maxKeys: 3 },
          ),
          async (pathValues, query, body, auth, extraHeaders) => {
            let url = op.path;
            op.pathParams.forEach((name, i) => {
              url = url.replace(`{${name}}`, encodeURIComponent(pathValues[i] ?? ''));
            });
            const search = new URLSearchParams(query).toString();
            const headers: Record<string, string> = { ...extraHeaders };
            if (auth === 'valid') headers.authorization = `Bearer ${user.accessToken}`;
            if (auth === 'junk') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.';
            if (auth === 'apikey-junk') headers['x-api-key'] = 'ak_not-a-real-key';
            if (body) headers['content-type'] = body.contentType;
            const response = await app.inject({
              method: op.method as 'GET',
              url: search ? `${url}?${search}` : url,
              headers,
              payload: body?.payload,
            });
            const where = `${op.method} ${`${url}?${search}`.slice(0, 160)} [${auth}] ${JSON.stringify(extraHeaders).slice(0, 120)} -> ${response.statusCode}`;
            if (response.statusCode >= 500) failures.push(`${where}: ${response.body.slice(0, 200)}`);
            const type = String(response.headers['content-type'] ?? '');
            if (response.statusCode >= 400 && !type.startsWith('application/problem+json'))
              failures.push(`${where}: not problem+json (${type})`);
            if (response.statusCode >= 200 && response.statusCode < 300 && type.startsWith('application/json')) {
              const schema = op.responses[String(response.statusCode)]?.content?.['application/json']?.schema;
              if (schema) {
                const key = `${op.method} ${op.path} ${response.statusCode}`;
                const validate = validators.get(key) ?? ajv.compile(schema);
                validators.set(key, validate);
                if (!validate(response.json()))
                  failures.push(`${where}: response does not match its schema: ${ajv.errorsText(validate.errors)}`);
              }
            }
            return true;
          },
        ),
        { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
      );
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('leaves the app ready', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
  });
});
