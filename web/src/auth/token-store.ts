// The access token lives in this module's memory only (never localStorage/sessionStorage): a
// reload starts without one and the session is restored from the httpOnly refresh cookie.
export interface AccessToken {
  token: string;
  /** Epoch ms when the api stops accepting it. */
  expiresAt: number;
  /** Epoch ms when this tab learnt it (from its own refresh or another tab's broadcast). */
  receivedAt: number;
}

type Listener = (token: AccessToken | null) => void;

let current: AccessToken | null = null;
const listeners = new Set<Listener>();

export function getAccessToken(): AccessToken | null {
  return current;
}

export function setAccessToken(token: AccessToken | null): void {
  current = token;
  for (const listener of listeners) listener(token);
}

export function onAccessToken(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
