import { afterEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_PAIR, fakeApi, json, problem } from '../test/fake-api';
import { getSessionStatus, refreshAccessToken, restoreSession } from './session';
import { getAccessToken, setAccessToken } from './token-store';

afterEach(() => {
  setAccessToken(null);
  vi.unstubAllGlobals();
});

describe('the session refresh', () => {
  it('runs one refresh for concurrent callers, under the cross-tab Web Lock', async () => {
    const fetch = fakeApi({ 'POST /api/v1/auth/refresh': () => json(TOKEN_PAIR) });
    const names: string[] = [];
    vi.stubGlobal('navigator', {
      ...navigator,
      locks: {
        request: async (name: string, task: () => Promise<unknown>) => {
          names.push(name);
          return task();
        },
      },
    });
    const [a, b] = await Promise.all([refreshAccessToken(), refreshAccessToken()]);
    expect(a).toBe(b);
    expect(a?.token).toBe('access-1');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(names).toEqual(['auth-refresh']);
  });

  it('uses a token another tab got while this one waited for the lock, without refreshing', async () => {
    const fetch = fakeApi({ 'POST /api/v1/auth/refresh': () => json(TOKEN_PAIR) });
    vi.stubGlobal('navigator', {
      ...navigator,
      locks: {
        request: async (_name: string, task: () => Promise<unknown>) => {
          // The other tab held the lock, refreshed and broadcast its token.
          await new Promise((resolve) => setTimeout(resolve, 5));
          setAccessToken({ token: 'from-other-tab', expiresAt: Date.now() + 900_000, receivedAt: Date.now() });
          return task();
        },
      },
    });
    expect((await refreshAccessToken())?.token).toBe('from-other-tab');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('ends the session when the refresh cookie is refused (401)', async () => {
    fakeApi({ 'POST /api/v1/auth/refresh': () => problem(401, 'Unauthorized', 'revoked') });
    await restoreSession();
    expect(getSessionStatus()).toBe('signed-out');
    expect(getAccessToken()).toBeNull();
  });

  it('reports an unreachable api instead of signing out', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await restoreSession();
    expect(getSessionStatus()).toBe('unreachable');
  });

  it('never writes tokens to web storage', async () => {
    fakeApi({ 'POST /api/v1/auth/refresh': () => json(TOKEN_PAIR) });
    await refreshAccessToken();
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });
});
