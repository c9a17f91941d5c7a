// Opaque random tokens (refresh, password reset, API keys) and their at-rest hashes. Only the
// SHA-256 of a token is stored: a database leak yields nothing that can be presented.
import { createHash, randomBytes } from 'node:crypto';

export function generateToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
