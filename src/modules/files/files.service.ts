// File rules: who sees what (owner or ADMIN; anyone else gets 404, so ids cannot be probed),
// which uploads are accepted (type allowlist, magic bytes, size), and all-or-nothing uploads:
// bytes first, rows after, and any failure removes whatever this request already stored.
import type { Logger } from '../../lib/logger.js';
import type { Readable } from 'node:stream';
import type { Caller } from '../../lib/caller.js';
import { NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../lib/errors.js';
import type { Pagination, PageResult } from '../../lib/pagination.js';
import { peekHead } from '../../lib/stream-head.js';
import {
  StorageLimitExceededError,
  StorageNotFoundError,
  type ByteRange,
  type Storage,
  type StoredObject,
} from '../../infra/storage/storage.js';
import { sanitizeFilename } from './filenames.js';
import type { FilesRepository } from './files.repository.js';
import type { FileInfo, FileRecord, NewFile } from './files.schemas.js';
import { SNIFF_BYTES, contentMatchesDeclaredType } from './magic-bytes.js';

/** One part of an upload as the HTTP layer hands it over: a name, a declared type, a stream. */
export interface UploadPart {
  fieldname: string;
  filename: string | undefined;
  mimetype: string;
  stream: AsyncIterable<Uint8Array>;
}

export interface FilesServiceDeps {
  files: FilesRepository;
  storage: Storage;
  maxUploadBytes: number;
  /** Media types (or `type/*` wildcards) accepted, from ALLOWED_UPLOAD_TYPES. */
  allowedTypes: string[];
  log: Logger;
  /** FILE_DOWNLOAD=redirect: downloads answer a presigned URL this many seconds long (when the store can sign). */
  signedDownloadSeconds?: number;
}

export const UPLOAD_FIELD = 'file';

export class FilesService {
  constructor(private readonly deps: FilesServiceDeps) {}

  /**
   * Streams every part to storage one after the other (multipart parts arrive in order) and
   * then records them in one transaction. Nothing is kept if any part is refused, the client
   * goes away or the insert fails.
   */
  async upload(actor: Pick<Caller, 'id' | 'role'>, parts: AsyncIterable<UploadPart>): Promise<FileInfo[]> {
    const stored: Array<{ object: StoredObject; filename: string; contentType: string }> = [];
    try {
      for await (const part of parts) {
        const contentType = this.acceptedType(part);
        const object = await this.store(part, contentType);
        stored.push({ object, filename: sanitizeFilename(part.filename), contentType });
      }
      if (stored.length === 0) {
        throw new ValidationError(
          [{ path: `/body/${UPLOAD_FIELD}`, message: 'must contain at least one file part' }],
          'No file was uploaded',
        );
      }
      const rows: NewFile[] = stored.map(({ object, filename, contentType }) => ({
        ownerId: actor.id,
        filename,
        contentType,
        size: object.size,
        sha256: object.sha256,
        storageKey: object.key,
      }));
      const created = await this.deps.files.createAll(rows);
      return created.map(toInfo);
    } catch (error) {
      await this.removeObjects(stored.map((s) => s.object.key));
      throw error;
    }
  }

  async list(actor: Pick<Caller, 'id' | 'role'>, page: Pagination): Promise<PageResult<FileInfo>> {
    const { items, total } = await this.deps.files.list(actor.role === 'ADMIN' ? undefined : actor.id, page);
    return { items: items.map(toInfo), total, totalIsExact: true, ...page };
  }

  async get(actor: Pick<Caller, 'id' | 'role'>, id: string): Promise<FileInfo> {
    return toInfo(await this.visible(actor, id));
  }

  /**
   * A file the actor may see, and a way to open its bytes (or one range of them) once the
   * caller has decided it needs them (not for 304, 416 or HEAD).
   */
  async download(
    actor: Pick<Caller, 'id' | 'role'>,
    id: string,
  ): Promise<{
    file: FileInfo;
    open: (range?: ByteRange) => Promise<Readable>;
    /** Set when downloads are redirected: a short-lived URL of the bytes, for this actor only to receive. */
    signedUrl?: (contentDisposition: string) => Promise<string>;
  }> {
    const record = await this.visible(actor, id);
    const { storage, signedDownloadSeconds } = this.deps;
    const sign = signedDownloadSeconds ? storage.signedDownloadUrl?.bind(storage) : undefined;
    const signedUrl =
      sign &&
      ((contentDisposition: string) =>
        sign(record.storageKey, {
          expiresInSeconds: signedDownloadSeconds ?? 0,
          contentDisposition,
          contentType: record.contentType,
        }));
    const open = async (range?: ByteRange) => {
      try {
        return await this.deps.storage.get(record.storageKey, range);
      } catch (error) {
        if (!(error instanceof StorageNotFoundError)) throw error;
        // A row without bytes should not exist (rows go first on delete); say so loudly.
        this.deps.log.warn({ fileId: id }, 'file row has no stored content');
        throw new NotFoundError('File not found');
      }
    };
    return { file: toInfo(record), open, ...(signedUrl && { signedUrl }) };
  }

  /** Removes the row first, then the bytes: a crash in between leaves unreferenced bytes, never a dangling row. */
  async delete(actor: Pick<Caller, 'id' | 'role'>, id: string): Promise<void> {
    const file = await this.visible(actor, id);
    if (!(await this.deps.files.delete(id))) throw new NotFoundError('File not found');
    await this.removeObjects([file.storageKey]);
  }

  private async visible(actor: Pick<Caller, 'id' | 'role'>, id: string): Promise<FileRecord> {
    const file = await this.deps.files.findById(id);
    if (!file || (file.ownerId !== actor.id && actor.role !== 'ADMIN')) throw new NotFoundError('File not found');
    return file;
  }

  /** The declared media type, normalised, if the field and the type are accepted. */
  private acceptedType(part: UploadPart): string {
    if (part.fieldname !== UPLOAD_FIELD) {
      throw new ValidationError([
        { path: `/body/${part.fieldname}`, message: `unexpected field; send files as "${UPLOAD_FIELD}"` },
      ]);
    }
    const contentType = (part.mimetype.split(';')[0] ?? '').trim().toLowerCase();
    const allowed = this.deps.allowedTypes.some((pattern) =>
      pattern.endsWith('/*') ? contentType.startsWith(pattern.slice(0, -1)) : pattern === contentType,
    );
    if (!allowed) throw new UnsupportedMediaTypeError(`Files of type "${contentType}" are not accepted`);
    return contentType;
  }

  private async store(part: UploadPart, contentType: string): Promise<StoredObject> {
    const { head, stream, discard } = await peekHead(part.stream, SNIFF_BYTES);
    if (!contentMatchesDeclaredType(contentType, head)) {
      discard();
      throw new UnsupportedMediaTypeError(`The content of "${sanitizeFilename(part.filename)}" is not ${contentType}`);
    }
    try {
      return await this.deps.storage.put(stream, { maxBytes: this.deps.maxUploadBytes });
    } catch (error) {
      if (error instanceof StorageLimitExceededError) {
        throw new PayloadTooLargeError(`Each file may be at most ${this.deps.maxUploadBytes} bytes`);
      }
      throw error;
    }
  }

  private async removeObjects(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.deps.storage.delete(key);
      } catch (error) {
        // Unreferenced bytes cost disk space only; the request's own outcome matters more.
        this.deps.log.warn({ storageKey: key, err: error }, 'could not remove stored content');
      }
    }
  }
}

function toInfo(file: FileRecord): FileInfo {
  const { storageKey: _key, ...info } = file;
  return info;
}
