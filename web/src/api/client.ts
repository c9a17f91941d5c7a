// The one HTTP client of the app: typed by the generated schema, it adds the in-memory access
// token to every request, refreshes it (once, shared) when it is about to expire or after a 401,
// then retries the request once.
import createClient from 'openapi-fetch';
import { getAccessToken } from '../auth/token-store';
import { refreshAccessToken } from '../auth/session';
import { ApiError, UNREACHABLE, callError } from './problem';
import { API_ORIGIN } from './public-client';
import type { paths } from './schema';

const EXPIRY_MARGIN_MS = 5_000;

/** The Authorization header value for a request about to leave, refreshing an expiring token. */
export async function authorization(): Promise<string | null> {
  let token = getAccessToken();
  if (token && token.expiresAt - Date.now() < EXPIRY_MARGIN_MS) token = await refreshAccessToken();
  return token ? `Bearer ${token.token}` : null;
}

async function send(request: Request): Promise<Response> {
  const header = await authorization();
  if (header) request.headers.set('authorization', header);
  else request.headers.delete('authorization');
  try {
    return await globalThis.fetch(request);
  } catch {
    throw new ApiError(UNREACHABLE, undefined, 'The API is unreachable. Check your connection and try again.');
  }
}

export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const response = await send(request);
  if (response.status !== 401) return response;
  const used = request.headers.get('authorization')?.replace(/^Bearer /, '');
  const fresh = await refreshAccessToken(used).catch(() => null);
  return fresh ? send(retry) : response;
}

export const api = createClient<paths>({ baseUrl: API_ORIGIN, fetch: authFetch });

/** The data of a successful call, or the call's ApiError (typed problem+json) thrown. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const result = await call;
  if (!result.response.ok) throw await callError(result);
  return result.data as T;
}
