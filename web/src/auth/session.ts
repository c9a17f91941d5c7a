// The browser session: the access token in memory, refreshed from the httpOnly refresh cookie
// silently before it expires and after a 401. The api rotates refresh tokens and treats a reused
// one as theft (it revokes the whole session), so two tabs must never refresh at the same time:
// a Web Lock serialises refreshes across the tabs of this origin, and a BroadcastChannel hands the
// fresh access token to the other tabs so they do not refresh again. Without Web Locks (old
// browsers) a tab reuses a token another tab broadcast moments ago and otherwise refreshes alone.
import { publicClient } from '../api/public-client';
import { ApiError, UNREACHABLE, callError } from '../api/problem';
import { getAccessToken, onAccessToken, setAccessToken, type AccessToken } from './token-store';

export type SessionStatus = 'loading' | 'signed-in' | 'signed-out' | 'unreachable';

const LOCK_NAME = 'auth-refresh';
/** Refresh this long before expiry, so requests never carry an expiring token. */
const REFRESH_AHEAD_MS = 60_000;
/** A broadcast token this fresh is used instead of refreshing (the no-Web-Locks fallback). */
const SHARED_TOKEN_WINDOW_MS = 10_000;

type Broadcast = { type: 'token'; token: string; expiresAt: number } | { type: 'signed-out' };

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('auth-session');
let status: SessionStatus = 'loading';
const statusListeners = new Set<() => void>();
let inFlight: Promise<AccessToken | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function setStatus(next: SessionStatus) {
  if (next === status) return;
  status = next;
  for (const listener of statusListeners) listener();
}

export function getSessionStatus(): SessionStatus {
  return status;
}

export function subscribeSession(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

channel?.addEventListener('message', (event: MessageEvent<Broadcast>) => {
  const message = event.data;
  if (message.type === 'token')
    setAccessToken({ token: message.token, expiresAt: message.expiresAt, receivedAt: Date.now() });
  else setAccessToken(null);
});

// Every change of token reschedules the silent refresh and updates the status.
onAccessToken((token) => {
  clearTimeout(timer);
  if (!token) {
    if (status !== 'unreachable') setStatus('signed-out');
    return;
  }
  setStatus('signed-in');
  const delay = Math.max(token.expiresAt - Date.now() - REFRESH_AHEAD_MS, (token.expiresAt - Date.now()) / 2, 1_000);
  timer = setTimeout(() => void refreshAccessToken().catch(() => undefined), delay);
});

/** Stores a token pair the api just issued to this tab and shares it with the other tabs. */
export function acceptTokenPair(pair: { access_token: string; expires_in: number }): AccessToken {
  const token = { token: pair.access_token, expiresAt: Date.now() + pair.expires_in * 1000, receivedAt: Date.now() };
  setAccessToken(token);
  channel?.postMessage({ type: 'token', token: token.token, expiresAt: token.expiresAt } satisfies Broadcast);
  return token;
}

function usable(token: AccessToken | null, since: number, rejected?: string): token is AccessToken {
  return (
    token !== null &&
    token.token !== rejected &&
    token.receivedAt > since &&
    token.expiresAt - Date.now() > REFRESH_AHEAD_MS / 2
  );
}

async function refreshNow(since: number, rejected?: string): Promise<AccessToken | null> {
  // Another tab may have refreshed while this one waited for the lock (never reuse the token the
  // api just refused, though).
  const known = getAccessToken();
  if (usable(known, since, rejected)) return known;
  let result;
  try {
    result = await publicClient.POST('/api/v1/auth/refresh', { body: {} });
  } catch {
    setStatus('unreachable');
    throw new ApiError(UNREACHABLE, undefined, 'The API is unreachable. Check your connection and try again.');
  }
  if (result.data) return acceptTokenPair(result.data);
  if (result.response.status === 401) {
    setAccessToken(null);
    setStatus('signed-out');
    return null;
  }
  const error = await callError(result);
  if (error.status === UNREACHABLE) setStatus('unreachable');
  throw error;
}

/** Runs `task` holding the origin-wide refresh lock (other tabs queue behind it). */
async function exclusive<T>(locks: LockManager, task: () => Promise<T>): Promise<T> {
  return await locks.request(LOCK_NAME, task);
}

/**
 * A fresh access token, or null when the session is over (no or revoked refresh cookie). One
 * refresh at a time in this tab (concurrent callers share it) and, with Web Locks, across tabs.
 * `rejected`: the token a 401 just refused, which must not come back.
 */
export function refreshAccessToken(rejected?: string): Promise<AccessToken | null> {
  if (inFlight) return inFlight;
  const since = Date.now();
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  const run = locks
    ? exclusive(locks, () => refreshNow(since, rejected))
    : refreshNow(since - SHARED_TOKEN_WINDOW_MS, rejected);
  const shared = run.finally(() => {
    inFlight = null;
  });
  inFlight = shared;
  return shared;
}

/** Restores the session at start-up (or after the api was unreachable) from the refresh cookie. */
export async function restoreSession(): Promise<void> {
  setStatus('loading');
  try {
    const token = await refreshAccessToken();
    setStatus(token ? 'signed-in' : 'signed-out');
  } catch (error) {
    setStatus(error instanceof ApiError && error.status === UNREACHABLE ? 'unreachable' : 'signed-out');
  }
}

let endNotice: string | null = null;

/** Why the last session ended, when the user should be told (shown above the sign-in form). */
export function sessionEndNotice(): string | null {
  return endNotice;
}

/** Ends the session locally and in every tab; the caller has told the api (or could not). */
export function endSession(notice: string | null = null): void {
  endNotice = notice;
  setAccessToken(null);
  setStatus('signed-out');
  channel?.postMessage({ type: 'signed-out' } satisfies Broadcast);
}
