// completeDocument: what every operation of the generated OpenAPI document shares (the
// 400/413/415 of a body, the 429 of the rate limit, 503, the headers every response carries,
// `security: []` on public operations), added in one place instead of in each route. The docs
// plugin runs it as @fastify/swagger's transformObject.
import { PROBLEM_DESCRIPTIONS, PROBLEM_TYPE, ProblemSchema } from './openapi.js';

/** Paths without the global rate limit (src/plugins/rate-limit.ts EXEMPT) nor load shedding/draining 503s. */
export const UNTHROTTLED_PATHS = /^\/(health|metrics)(\/|$)/;

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  security?: unknown[];
  parameters?: Array<Json & { in: string; required?: boolean; schema?: Json }>;
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, Json>;
}
interface Document extends Json {
  paths?: Record<string, Record<string, Operation>>;
  components?: Json & { schemas?: Json; headers?: Json; responses?: Json };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const SHARED_HEADERS = {
  'X-Request-Id': {
    required: true,
    description: 'The request id (yours when you send a sane one, else a UUID); quote it when reporting a problem',
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': {
    description: 'Requests allowed per window (absent while the limiter is unavailable)',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Remaining': { description: 'Requests left in this window', schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer', minimum: 0 } },
  'Retry-After': {
    required: true,
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  },
  'WWW-Authenticate': {
    required: true,
    description: 'The authentication scheme to use (`Bearer`)',
    schema: { type: 'string' },
  },
};
const headerRef = (name: keyof typeof SHARED_HEADERS) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;

/** Shared problem responses, referenced from the operations that can answer them. */
const SHARED_RESPONSES: Record<string, { status: string; description: string; retryAfter?: boolean }> = {
  MalformedBody: { status: '400', description: 'The body is not valid JSON (or holds a prototype-poisoning key)' },
  PayloadTooLarge: { status: '413', description: PROBLEM_DESCRIPTIONS[413] as string },
  UnsupportedMediaType: {
    status: '415',
    description: 'The Content-Type is not one this operation accepts (JSON unless the request body lists others)',
  },
  TooManyRequests: { status: '429', description: PROBLEM_DESCRIPTIONS[429] as string, retryAfter: true },
  ServiceUnavailable: { status: '503', description: PROBLEM_DESCRIPTIONS[503] as string, retryAfter: true },
};

const isProblemSchema = (schema: unknown) =>
  typeof schema === 'object' && schema !== null && (schema as Json).title === 'Problem';

/**
 * Adds to the generated document what every operation shares, so that no route repeats it:
 * - `security: []` on public operations (no global requirement: each operation says its own);
 * - 400, 413 and 415 on operations that take a body; 429 on every rate-limited one; 503 on every
 *   operation outside /health (load shedding, draining, a dependency down);
 * - `X-Request-Id` on every response, `X-RateLimit-*` on rate-limited ones, `Retry-After` on
 *   429/503, `WWW-Authenticate` on 401; the headers a route declares are required (always sent);
 * - query parameters with a default are optional for the client (`required: false`);
 * - one `Problem` schema in components instead of a copy in every problem response.
 */
export function completeDocument<D extends Json>(input: D): D {
  const document = input as unknown as Document;
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, Problem: JSON.parse(JSON.stringify(ProblemSchema)) as Json };
  components.headers = { ...components.headers, ...SHARED_HEADERS };
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const responseHeaders = (throttled: boolean, extra: Json = {}) => ({
    'X-Request-Id': headerRef('X-Request-Id'),
    ...(throttled ? Object.fromEntries(RATE_LIMIT_HEADERS.map((name) => [name, headerRef(name)])) : {}),
    ...extra,
  });
  components.responses = {
    ...components.responses,
    ...Object.fromEntries(
      Object.entries(SHARED_RESPONSES).map(([name, { description, retryAfter }]) => [
        name,
        {
          description,
          headers: responseHeaders(true, retryAfter ? { 'Retry-After': headerRef('Retry-After') } : {}),
          content: { [PROBLEM_TYPE]: { schema: problemRef } },
        },
      ]),
    ),
  };

  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const throttled = !UNTHROTTLED_PATHS.test(path);
    for (const [method, generated] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      // A GET+HEAD route yields two operations from one schema: HEAD gets an id of its own.
      const operation =
        method === 'head' && generated.operationId ? (structuredClone(generated) as Operation) : generated;
      if (operation !== generated) {
        operation.operationId = `head${(generated.operationId ?? '').charAt(0).toUpperCase()}${(generated.operationId ?? '').slice(1)}`;
        item[method] = operation;
      }
      operation.security ??= [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false;
      }
      const responses = operation.responses;
      const shared = [
        ...(operation.requestBody ? ['MalformedBody', 'PayloadTooLarge', 'UnsupportedMediaType'] : []),
        ...(throttled ? ['TooManyRequests', 'ServiceUnavailable'] : []),
      ];
      for (const name of shared) {
        const status = SHARED_RESPONSES[name]?.status as string;
        responses[status] ??= { $ref: `#/components/responses/${name}` };
      }
      for (const [status, response] of Object.entries(responses)) {
        if ('$ref' in response) continue;
        // A route declares only the headers it always sends with that status.
        const extra: Json = Object.fromEntries(
          Object.entries((response.headers ?? {}) as Record<string, Json>).map(([name, header]) => [
            name,
            '$ref' in header ? header : { ...header, required: true },
          ]),
        );
        if (status === '429' || status === '503') extra['Retry-After'] = headerRef('Retry-After');
        if (status === '401') extra['WWW-Authenticate'] = headerRef('WWW-Authenticate');
        response.headers = responseHeaders(throttled, extra);
        const problem = (response.content as Record<string, Json> | undefined)?.[PROBLEM_TYPE];
        if (problem && isProblemSchema(problem.schema)) problem.schema = problemRef;
      }
    }
  }
  return input;
}
