// Append-only audit trail of write operations (who, what, which id, which request, when).
import type { PrismaClient } from '../../db/prisma.js';

export interface AuditEntry {
  actorId: number | null;
  action: string;
  entity: string;
  entityId: string | null;
  requestId: string;
}

export class AuditLogRepository {
  constructor(private readonly db: Pick<PrismaClient, 'auditLog'>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.auditLog.create({ data: entry });
  }
}
