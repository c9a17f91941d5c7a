// What the storage sweep reads and writes in the files table: which keys have a row, which rows
// to check against the store, and the mark on rows whose bytes are gone.
import type { PrismaClient } from '../../db/prisma.js';

export interface RowToCheck {
  id: string;
  storageKey: string;
}

export class StorageSweepRepository {
  constructor(private readonly db: Pick<PrismaClient, 'file'>) {}

  /** The subset of `keys` some file row points at. */
  async keysWithRows(keys: string[]): Promise<Set<string>> {
    const rows = await this.db.file.findMany({ where: { storageKey: { in: keys } }, select: { storageKey: true } });
    return new Set(rows.map((row) => row.storageKey));
  }

  /** Unmarked rows created before `createdBefore`, by id after `afterId` (a keyset page). */
  async rowsToCheck(createdBefore: Date, afterId: string | undefined, limit: number): Promise<RowToCheck[]> {
    return this.db.file.findMany({
      where: { objectMissingAt: null, createdAt: { lt: createdBefore }, ...(afterId && { id: { gt: afterId } }) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, storageKey: true },
    });
  }

  async markMissing(ids: string[], at: Date): Promise<void> {
    await this.db.file.updateMany({ where: { id: { in: ids }, objectMissingAt: null }, data: { objectMissingAt: at } });
  }
}
