// RFC 9457 problem details as the api answers them (src/lib/errors.ts), typed from the generated
// schema, and the one error type the app throws for any failed API call.
import type { components } from './schema';

export type Problem = components['schemas']['Problem'];

/** Status 0: the request never got an answer (network down, api not running, CORS, ...). */
export const UNREACHABLE = 0;

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, message?: string) {
    super(message ?? problem?.detail ?? problem?.title ?? `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  /**
   * Field errors keyed by the field name: the api reports "/body/price" (or "/querystring/q");
   * a form shows each message under the input of that name. A nested path keeps its first segment
   * ("/body/tags/2" -> "tags").
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { path, message } of this.problem?.errors ?? []) {
      const field = path.split('/').filter(Boolean)[1];
      if (field && !(field in out)) out[field] = message;
    }
    return out;
  }
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).status === 'number' &&
    typeof (value as Problem).title === 'string'
  );
}

/** What to tell the user about any error thrown by a query or mutation. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === UNREACHABLE) return 'The API is unreachable. Check your connection and try again.';
    if (error.status === 413) return error.problem?.detail ?? 'The file is too large.';
    if (error.status === 415) return error.problem?.detail ?? 'This file type is not accepted.';
    if (error.status === 429) return 'Too many requests; wait a moment and try again.';
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** The ApiError of a failed openapi-fetch call (which has already parsed the body into `error`). */
export async function callError(call: { error?: unknown; response: Response }): Promise<ApiError> {
  return isProblem(call.error) ? new ApiError(call.response.status, call.error) : errorFromResponse(call.response);
}

/** Builds the ApiError of a response that was not a success. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    body = undefined;
  }
  if (isProblem(body)) return new ApiError(response.status, body);
  // A proxy in front of a stopped api answers 502/504 with HTML: the api is unreachable.
  if (response.status === 502 || response.status === 504)
    return new ApiError(UNREACHABLE, undefined, 'The API is unreachable. Check your connection and try again.');
  return new ApiError(response.status, undefined);
}
