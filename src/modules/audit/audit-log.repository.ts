// Append-only audit trail of write operations (who, what, which id, which request, when).
// The entries come from the audit-log plugin, which decides what a write request records.
import type { PrismaClient } from '../../db/prisma.js';
import type { AuditEntry } from '../../plugins/audit-log.js';

export class AuditLogRepository {
  constructor(private readonly db: Pick<PrismaClient, 'auditLog'>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.auditLog.create({ data: entry });
  }
}
