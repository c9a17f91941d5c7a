// A stand-in for the api in component tests: answers fetch by method and path with JSON (or a
// problem). The real api is exercised by the end-to-end tests (test/web at the root).
import { vi } from 'vitest';

export type Handler = (request: Request, url: URL) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function problem(status: number, title: string, detail: string, errors?: { path: string; message: string }[]) {
  return new Response(
    JSON.stringify({ type: `about:blank`, title, status, detail, instance: '/x', requestId: 'r1', errors }),
    { status, headers: { 'content-type': 'application/problem+json' } },
  );
}

/** Installs a fake fetch; routes are "METHOD /path" keys. Returns the mock to inspect calls. */
export function fakeApi(routes: Record<string, Handler>) {
  const mock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) return problem(404, 'Not Found', `no fake for ${request.method} ${url.pathname}`);
    return handler(request, url);
  });
  vi.stubGlobal('fetch', mock);
  return mock;
}

export const ADA = {
  id: 1,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  role: 'USER' as const,
  isActive: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

export const TOKEN_PAIR = { access_token: 'access-1', token_type: 'bearer', expires_in: 900, refresh_token: 'r' };

export function item(id: number, name: string, price = 10) {
  return {
    id,
    ownerId: 1,
    name,
    description: null,
    price,
    tax: null,
    tags: ['demo'],
    images: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

export function page<T>(items: T[], nextCursor: string | null = null) {
  return { items, total: items.length, totalIsExact: true, skip: 0, limit: 20, nextCursor };
}
