// The access-token deny-list in Redis, shared by every instance. An access token is refused
// when its own id (jti) or its session (sid, the refresh family) is listed. Entries expire on
// their own once no token they could match is still within its lifetime.
import type { Redis } from 'ioredis';

const JTI = 'auth:deny:jti:';
const SESSION = 'auth:deny:sid:';

export class TokenDenyList {
  constructor(private readonly redis: Pick<Redis, 'set' | 'mget' | 'pipeline'>) {}

  async denyToken(jti: string, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    await this.redis.set(JTI + jti, '1', 'EX', ttlSeconds);
  }

  async denySessions(sessionIds: string[], ttlSeconds: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const sid of sessionIds) pipeline.set(SESSION + sid, '1', 'EX', ttlSeconds);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Throws when Redis is unreachable: the caller decides how to degrade. */
  async isDenied(jti: string, sid: string): Promise<boolean> {
    const [token, session] = await this.redis.mget(JTI + jti, SESSION + sid);
    return token !== null || session !== null;
  }
}
