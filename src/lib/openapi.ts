// Route-level pieces of the OpenAPI document: security requirements, problem responses, and
// responses with a real description and the headers they carry. What every operation shares is
// added once by completeDocument (openapi-document.ts), not by each route.
import { Type, type TSchema } from 'typebox';

/** Security requirement for routes that take a bearer token or an API key. */
export const authenticated: Array<Record<string, string[]>> = [{ OAuth2PasswordBearer: [] }, { ApiKeyHeader: [] }];

/** A timestamp: a Date in handlers, an RFC 3339 string on the wire and in the docs. */
export const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });

/** A documented problem response (RFC 9457), for the OpenAPI document. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { title: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
);

export const PROBLEM_TYPE = 'application/problem+json';

export const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed JSON, a prototype-poisoning key, or a request the endpoint cannot act on',
  401: 'Missing, invalid or expired credentials (`WWW-Authenticate` names the scheme)',
  403: 'Authenticated, but not allowed to do this',
  404: 'No such resource, or it belongs to someone else',
  409: 'Conflicts with the current state (e.g. the email is taken)',
  413: 'The body or a file is over its size limit',
  415: 'The Content-Type is not one this operation accepts',
  416: 'The range is beyond the end of the file (`Content-Range: bytes */size`)',
  422: 'A path, query or body value breaks the schema; `errors` lists each violation',
  426: 'This endpoint speaks WebSocket only (`Upgrade: websocket`)',
  429: 'Rate limit exceeded; `Retry-After` says when to retry',
  503: 'Overloaded, shutting down or a dependency is down; retry after `Retry-After` seconds',
};

/** Problem responses a route may answer with, keyed by status. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? `Problem (${status})`,
        content: { [PROBLEM_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  );
}

/** Response headers a route declares (the ones every response shares are added by completeDocument). */
export const responseHeaders = {
  location: { Location: { type: 'string', description: 'Where the created resource (or the job to follow) is' } },
  etag: {
    ETag: { type: 'string', description: 'Strong validator of the representation; send it back as `If-None-Match`' },
  },
  cacheControl: { 'Cache-Control': { type: 'string', description: 'Caching rules of this response' } },
  contentRange: {
    'Content-Range': {
      type: 'string',
      description: 'The bytes sent, `bytes first-last/size` (on 416: `bytes */size`)',
    },
  },
  contentDisposition: {
    'Content-Disposition': { type: 'string', description: 'attachment, with the file name (RFC 6266)' },
  },
  contentLength: { 'Content-Length': { type: 'integer', minimum: 0, description: 'Bytes of the body' } },
  acceptRanges: { 'Accept-Ranges': { type: 'string', enum: ['bytes'], description: 'Byte ranges are supported' } },
  xCache: { 'X-Cache': { type: 'string', enum: ['HIT', 'MISS'], description: 'Whether the shared cache answered' } },
  setCookie: {
    'Set-Cookie': {
      type: 'string',
      description: 'The refresh token as an httpOnly, SameSite=Strict cookie scoped to /api/v1/auth',
    },
  },
} as const;

type HeaderSet = Record<string, { type: string; description: string }>;

/** Merges header sets: `headers(responseHeaders.location, responseHeaders.etag)`. */
export function headers(...sets: HeaderSet[]): HeaderSet {
  return Object.assign({}, ...sets) as HeaderSet;
}

/** A JSON response with a real description (not "Default Response") and its headers. */
export function jsonResponse<T extends TSchema>(description: string, schema: T, withHeaders?: HeaderSet) {
  return { description, ...(withHeaders ? { headers: withHeaders } : {}), content: { 'application/json': { schema } } };
}

/** A response without a body (204, 304): no content, no content headers. */
export function emptyResponse(description: string, withHeaders?: HeaderSet) {
  return Type.Null({ description, ...(withHeaders ? { headers: withHeaders } : {}) });
}
