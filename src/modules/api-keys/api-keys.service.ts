// Personal API keys: created and shown once, listed and read without the secret, revoked by id, and
// accepted by the auth guard as `X-API-Key` on behalf of their owner.
import { ConflictError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { Pagination, PageResult } from '../../lib/pagination.js';
import type { Caller } from '../../lib/caller.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import type { ApiKeysRepository } from './api-keys.repository.js';
import type { ApiKey, CreatedApiKey } from './api-keys.schemas.js';

/** Recognizable in logs, configs and secret scanners; followed by 32 random bytes (base64url). */
export const API_KEY_PREFIX = 'ftk_';
const KEY_PATTERN = /^ftk_[A-Za-z0-9_-]{43}$/;
/** How many characters of the key are kept in clear to tell keys apart. */
const VISIBLE_PREFIX_LENGTH = 12;
export const MAX_KEYS_PER_USER = 25;

/** The clear part of a key (stored, listed): what tells keys apart, also for the failed-lookup limit. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, VISIBLE_PREFIX_LENGTH);
}
const LAST_USED_GRANULARITY_MS = 60_000;

export interface ApiKeysServiceDeps {
  keys: ApiKeysRepository;
  /** Ends live connections opened with a revoked key, on every instance (bounded, never throws). */
  liveConnections?: { credentialRevoked(userId: number): Promise<void> };
}

export class ApiKeysService {
  constructor(private readonly deps: ApiKeysServiceDeps) {}

  async create(userId: number, name: string): Promise<CreatedApiKey> {
    if ((await this.deps.keys.countActive(userId)) >= MAX_KEYS_PER_USER) {
      throw new ConflictError(`You already have ${MAX_KEYS_PER_USER} API keys; delete one first`);
    }
    const key = API_KEY_PREFIX + generateToken(32);
    const created = await this.deps.keys.create({ userId, name, prefix: apiKeyPrefix(key), keyHash: hashToken(key) });
    return { ...created, key };
  }

  async list(userId: number, page: Pagination): Promise<PageResult<ApiKey>> {
    return { ...(await this.deps.keys.listActive(userId, page)), totalIsExact: true, ...page };
  }

  async get(userId: number, id: number): Promise<ApiKey> {
    const key = await this.deps.keys.findActive(userId, id);
    if (!key) throw new NotFoundError('API key not found');
    return key;
  }

  async revoke(userId: number, id: number): Promise<void> {
    if (!(await this.deps.keys.revoke(userId, id))) throw new NotFoundError('API key not found');
    await this.deps.liveConnections?.credentialRevoked(userId);
  }

  /** The owner of a live key, in their current state; made-up, revoked or orphaned keys are refused alike. */
  async authenticate(key: string): Promise<Caller & { apiKeyId: number }> {
    const found = KEY_PATTERN.test(key) ? await this.deps.keys.findActiveByHash(hashToken(key)) : null;
    if (!found || !found.user.isActive) throw new UnauthorizedError('The API key is invalid or revoked');
    await this.deps.keys.touch(found.id, new Date(), LAST_USED_GRANULARITY_MS);
    const { id, email, name, role } = found.user;
    return { id, email, name, role, apiKeyId: found.id };
  }
}
