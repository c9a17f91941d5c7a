// The generated client without credentials: the auth endpoints (log in, refresh from the cookie,
// sign up, password reset). Everything else goes through `api` in ./client.ts.
import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** Same origin: the app is served by the api (or proxied to it by Vite in development). */
export const API_ORIGIN = window.location.origin;

export const publicClient = createClient<paths>({
  baseUrl: API_ORIGIN,
  credentials: 'same-origin',
  // Looked up at call time, not captured at start-up (wrapped or stubbed fetch keeps working).
  fetch: (request) => globalThis.fetch(request),
});
