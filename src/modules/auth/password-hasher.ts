// Password hashing with bcrypt (async: it runs on libuv's thread pool, never on the event loop).
//
// bcrypt reads only the first 72 bytes of its input, so two long passwords sharing a 72-byte
// prefix would collide. Every password is therefore pre-hashed with HMAC-SHA-256 and encoded as
// base64 (44 ASCII bytes, no NUL) before bcrypt. The HMAC key is a fixed, versioned label, not a
// secret: rotating JWT_SECRET must not invalidate passwords. Hashes carry a "v2$" marker so plain
// bcrypt hashes (from an import or an older version) stay verifiable.
import { createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';

const PREHASH_KEY = 'fastify-template/password/v2';
const PREHASHED_MARKER = 'v2$';

function prehash(password: string): string {
  return createHmac('sha256', PREHASH_KEY).update(password, 'utf8').digest('base64');
}

export class PasswordHasher {
  /** A real hash to compare against when the user does not exist, so both paths take as long. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: number) {
    this.dummyHash = this.hash('not-a-real-password-used-for-timing');
  }

  async hash(password: string): Promise<string> {
    return PREHASHED_MARKER + (await bcrypt.hash(prehash(password), this.cost));
  }

  async verify(password: string, stored: string): Promise<boolean> {
    if (stored.startsWith(PREHASHED_MARKER))
      return bcrypt.compare(prehash(password), stored.slice(PREHASHED_MARKER.length));
    return bcrypt.compare(password, stored);
  }

  /** Spends the same time as a failed verify, for unknown accounts. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(password, await this.dummyHash);
    return false;
  }
}
