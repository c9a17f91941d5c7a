// The idempotency ledger of sent emails: one row per idempotency key, written right after the
// message left, read before sending, so a retried or duplicated job never sends twice.
import type { PrismaClient } from '../../db/prisma.js';

export class SentEmailsRepository {
  constructor(private readonly db: Pick<PrismaClient, 'sentEmail'>) {}

  async has(key: string): Promise<boolean> {
    return (await this.db.sentEmail.count({ where: { key } })) > 0;
  }

  async record(entry: { key: string; recipient: string; template: string }): Promise<void> {
    await this.db.sentEmail.createMany({ data: [entry], skipDuplicates: true });
  }
}
