import { Type } from 'typebox';

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

/** Problem responses a route may answer with, keyed by status. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: `Problem (${status})`, content: { 'application/problem+json': { schema: ProblemSchema } } }]),
  );
}
