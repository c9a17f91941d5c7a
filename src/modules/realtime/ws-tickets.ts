// Short-lived, single-use tickets for opening a WebSocket from a browser, whose `WebSocket`
// constructor cannot set an Authorization header. Putting the access token itself in the URL
// (`?token=`) exposes a 15-minute bearer credential to every access log and proxy on the way;
// a ticket in the URL is worth nothing once used, and nothing after TICKET_TTL_SECONDS.
// The ticket is 256 random bits; Redis keeps only its SHA-256 (a leaked Redis dump holds no
// usable ticket) with the claims of the access token it was issued for, and GETDEL consumes it
// atomically, so of two connections presenting one ticket, on any instances, exactly one wins.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { budget } from '../../lib/resilience.js';

export const TICKET_TTL_SECONDS = 30;
const KEY = 'ws:ticket:';
/** A silent Redis fails a ticket within this, like the other live-connection checks (503 / 1011 in about half a second). */
const REDIS_BUDGET_MS = 500;
const withinBudget = budget(REDIS_BUDGET_MS);

/** What a ticket stands for: the session and user of the access token it was issued with. */
export interface TicketClaims {
  sub: string;
  role: string;
  typ: 'access';
  jti: string;
  sid: string;
  iat: number;
  exp: number;
}

function keyOf(ticket: string): string {
  return KEY + createHash('sha256').update(ticket).digest('hex');
}

export class WsTicketService {
  constructor(
    private readonly redis: Pick<Redis, 'set' | 'getdel'>,
    private readonly ttlSeconds = TICKET_TTL_SECONDS,
  ) {}

  /** A new ticket for the session of `claims`; it never outlives the access token. */
  async issue(claims: TicketClaims, now = Date.now()): Promise<{ ticket: string; expiresIn: number }> {
    const expiresIn = Math.min(this.ttlSeconds, claims.exp - Math.floor(now / 1000));
    if (expiresIn < 1) throw new RangeError('the access token expires too soon to issue a ticket');
    const ticket = randomBytes(32).toString('base64url');
    const { sub, role, typ, jti, sid, iat, exp } = claims;
    await withinBudget.execute(() =>
      this.redis.set(keyOf(ticket), JSON.stringify({ sub, role, typ, jti, sid, iat, exp }), 'EX', expiresIn),
    );
    return { ticket, expiresIn };
  }

  /** Consumes a ticket: its claims the first time, undefined for an unknown, used or expired one. */
  async redeem(ticket: string): Promise<TicketClaims | undefined> {
    // A ticket is 43 base64url characters; anything else cannot be one (and is not hashed).
    if (!/^[\w-]{43}$/.test(ticket)) return undefined;
    const stored = await withinBudget.execute(() => this.redis.getdel(keyOf(ticket)));
    if (stored === null) return undefined;
    const claims = JSON.parse(stored) as TicketClaims;
    return claims.exp * 1000 > Date.now() ? claims : undefined;
  }
}
