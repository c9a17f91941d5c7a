// Checks the HTTP Basic credentials of the queue dashboard against the users table: an active
// ADMIN whose password matches. An unknown email costs the same hashing time as a wrong
// password, so the answer's timing does not reveal which emails exist.
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { UsersRepository } from '../users/users.repository.js';

export class AdminCredentials {
  constructor(
    private readonly users: Pick<UsersRepository, 'findByEmailWithSecret'>,
    private readonly hasher: Pick<PasswordHasher, 'verify' | 'verifyDummy'>,
  ) {}

  async verify(email: string, password: string): Promise<boolean> {
    const user = await this.users.findByEmailWithSecret(email);
    if (!user) return this.hasher.verifyDummy(password);
    const valid = await this.hasher.verify(password, user.passwordHash);
    return valid && user.isActive && user.role === 'ADMIN';
  }
}

/** Parses `Authorization: Basic base64(email:password)`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { email: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
