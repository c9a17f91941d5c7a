// Files metadata table access. The bytes live in the storage port; a row only ever points at
// bytes that were completely written (rows are inserted after the bytes, deleted before them).
import type { PrismaClient } from '../../db/prisma.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { Pagination } from '../../lib/pagination.js';
import type { FileRecord, NewFile } from './files.schemas.js';

type FileRow = Omit<FileRecord, 'size'> & { size: bigint; objectMissingAt?: Date | null };

function toFile({ objectMissingAt: _sweepMark, ...row }: FileRow): FileRecord {
  // BIGINT column; a number is exact up to 8 PiB, far above any upload limit.
  return { ...row, size: Number(row.size) };
}

export class FilesRepository {
  constructor(private readonly db: Pick<PrismaClient, 'file' | '$transaction'>) {}

  /** Inserts every row or none (one statement per row inside one transaction). */
  async createAll(files: NewFile[]): Promise<FileRecord[]> {
    const rows = await this.db.$transaction(
      files.map((file) => this.db.file.create({ data: { ...file, size: BigInt(file.size) } })),
    );
    return rows.map(toFile);
  }

  /**
   * Inserts a row under an id the caller derived (a job's file), or returns the row that already
   * has that id: a retried or concurrent run of the same job ends with one row.
   */
  async createIfAbsent(file: NewFile & { id: string }): Promise<FileRecord> {
    try {
      return toFile(await this.db.file.create({ data: { ...file, size: BigInt(file.size) } }));
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      const existing = await this.findById(file.id);
      // A conflict on the storage key instead: not the same file.
      if (!existing) throw err;
      return existing;
    }
  }

  async findById(id: string): Promise<FileRecord | null> {
    const row = await this.db.file.findUnique({ where: { id } });
    return row ? toFile(row) : null;
  }

  /** Newest first; `ownerId` undefined lists everybody's files. */
  async list(ownerId: number | undefined, page: Pagination): Promise<{ items: FileRecord[]; total: number }> {
    const where = ownerId === undefined ? {} : { ownerId };
    const [rows, total] = await Promise.all([
      this.db.file.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: page.skip,
        take: page.limit,
      }),
      this.db.file.count({ where }),
    ]);
    return { items: rows.map(toFile), total };
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.file.deleteMany({ where: { id } });
    return count > 0;
  }
}
