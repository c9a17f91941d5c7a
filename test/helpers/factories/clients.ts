// What a client brings besides its body: its address and its credentials.
import { randomInt } from 'node:crypto';

/** An address of its own (198.18.0.0/15, set aside for tests), so per-IP limits start at zero. */
export function randomIp(): string {
  return `198.18.${randomInt(256)}.${randomInt(1, 255)}`;
}

export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}
