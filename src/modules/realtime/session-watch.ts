// Ends live connections (WebSocket, SSE) whose credential stopped being valid. A connection
// outlives the request that authenticated it, so without this a logged-out, revoked or
// deactivated user would keep receiving until the socket closed by itself.
// - Revocations published by any instance (revocations.ts) reach this one over Redis pub/sub:
//   the connections of a revoked session end at once; when a user-wide change is announced
//   (password, deactivation, deletion), the user's other connections check their credential
//   again and end if it no longer holds.
// - Every connection also ends when its access token expires (an API key's after a fixed
//   lifetime), which bounds the damage when a revocation message is lost (Redis down).
// The instance subscribes to the revocation channel while it holds at least one connection.
import type { PubSub } from '../../infra/realtime/hub.js';
import { parseRevocation, type Revocation } from '../../infra/realtime/revocations.js';

export type EndReason = 'revoked' | 'expired';

export interface WatchedConnection {
  userId: number;
  /** The session (refresh family) of the access token; undefined for an API key. */
  sessionId?: string;
  /** Runs the connection's authentication again: false (or a rejection) ends the connection. */
  stillValid(): Promise<boolean>;
  /** Ends the connection; may be called more than once. */
  end(reason: EndReason): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class SessionWatch {
  private readonly bySession = new Map<string, Set<WatchedConnection>>();
  private readonly byUser = new Map<number, Set<WatchedConnection>>();
  private watched = 0;
  private subscription: Promise<() => void> | undefined;

  constructor(
    private readonly pubsub: PubSub,
    private readonly channel: string,
  ) {}

  /** Connections currently watched on this instance. */
  get size(): number {
    return this.watched;
  }

  /**
   * Watches a connection until the returned function is called: at its expiry (`expiresAt`, ms
   * since the epoch) and on revocation, `end` runs. Resolves once revocations reach this
   * instance, after checking the credential once more (a revocation published while the
   * connection was being set up would otherwise be missed); rejects when Redis cannot be
   * subscribed, so the caller refuses the connection rather than leaving it unguarded.
   */
  async guard(connection: WatchedConnection, expiresAt: number): Promise<() => void> {
    let stopped = false;
    const timer = setTimeout(
      () => connection.end('expired'),
      Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())),
    );
    timer.unref();
    this.add(connection);
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      this.remove(connection);
    };
    try {
      await this.subscribe();
    } catch (err) {
      stop();
      throw err;
    }
    this.recheck(connection);
    return stop;
  }

  private subscribe(): Promise<() => void> {
    this.subscription ??= this.pubsub.subscribe(this.channel, (message) => this.dispatch(message));
    const current = this.subscription;
    // A failed SUBSCRIBE is forgotten, so the next connection tries again.
    current.catch(() => {
      if (this.subscription === current) this.subscription = undefined;
    });
    return current;
  }

  private add(connection: WatchedConnection): void {
    this.watched += 1;
    const forUser = this.byUser.get(connection.userId) ?? new Set();
    forUser.add(connection);
    this.byUser.set(connection.userId, forUser);
    if (connection.sessionId === undefined) return;
    const forSession = this.bySession.get(connection.sessionId) ?? new Set();
    forSession.add(connection);
    this.bySession.set(connection.sessionId, forSession);
  }

  private remove(connection: WatchedConnection): void {
    this.watched -= 1;
    const forUser = this.byUser.get(connection.userId);
    if (forUser?.delete(connection) && forUser.size === 0) this.byUser.delete(connection.userId);
    if (connection.sessionId !== undefined) {
      const forSession = this.bySession.get(connection.sessionId);
      if (forSession?.delete(connection) && forSession.size === 0) this.bySession.delete(connection.sessionId);
    }
    if (this.watched > 0 || !this.subscription) return;
    // The last connection left: stop receiving revocations (the hub unsubscribes in Redis).
    const subscription = this.subscription;
    this.subscription = undefined;
    subscription.then(
      (unsubscribe) => unsubscribe(),
      () => {},
    );
  }

  private recheck(connection: WatchedConnection): void {
    connection.stillValid().then(
      (valid) => valid || connection.end('revoked'),
      // Fail closed: a connection whose credential cannot be checked ends; the client reconnects.
      () => connection.end('revoked'),
    );
  }

  private dispatch(message: Buffer): void {
    const revocation: Revocation | undefined = parseRevocation(message);
    if (!revocation) return;
    const ended = new Set<WatchedConnection>();
    for (const sessionId of revocation.sessionIds) {
      for (const connection of this.bySession.get(sessionId) ?? []) {
        ended.add(connection);
        connection.end('revoked');
      }
    }
    if (revocation.userId === undefined) return;
    for (const connection of this.byUser.get(revocation.userId) ?? []) {
      if (!ended.has(connection)) this.recheck(connection);
    }
  }
}
