// The generated client without credentials: the auth endpoints (log in, refresh from the cookie,
// sign up, password reset). Everything else goes through `api` in ./client.ts.
import createClient from 'openapi-fetch';
import type { paths } from './schema';

export const publicClient = createClient<paths>({ baseUrl: '/', credentials: 'same-origin' });
