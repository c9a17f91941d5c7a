// A stored file's shapes, in one place: the TypeBox schemas and the types derived from them,
// plus the domain form the schemas do not describe (with its storage key).
import { Type, type Static } from 'typebox';
import { DateTime } from '../../lib/openapi.js';
import { Page, paginationProperties } from '../../lib/pagination.js';

export const FileOut = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ownerId: Type.Integer(),
    filename: Type.String({ description: 'The client name, sanitised for display; never used as a path' }),
    contentType: Type.String(),
    size: Type.Integer({ minimum: 0, description: 'Bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the content; the download ETag' }),
    createdAt: DateTime,
  },
  { title: 'File' },
);

/** The answer to an upload: one file per `file` part, at most `maxFiles`. */
export const FileList = (maxFiles: number) =>
  Type.Array(FileOut, { minItems: 1, maxItems: maxFiles, title: 'UploadedFiles' });
export const FilePage = Page(FileOut, 'FilePage');
export const ListFilesQuery = Type.Object(paginationProperties, { additionalProperties: false });
export const FileParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/**
 * Documents the multipart form for OpenAPI; the parts themselves are checked as they stream.
 * `maxFiles` is the parser's limit on `file` parts (MAX_FILES_PER_REQUEST, 20 by default).
 */
export function UploadForm(maxFiles: number) {
  return Type.Object(
    {
      file: Type.Array(Type.String({ format: 'binary' }), {
        minItems: 1,
        maxItems: maxFiles,
        description: `One to ${maxFiles} \`file\` parts, each with its own Content-Type`,
      }),
    },
    { title: 'FileUpload' },
  );
}

/** File metadata as clients see it (DateTime is a Date server-side, lib/openapi.ts). */
export type FileInfo = Static<typeof FileOut>;
/** A file as stored: its metadata and where its bytes are (the key never leaves the server). */
export type FileRecord = FileInfo & { storageKey: string };
/** A row to insert: the database assigns the id and the creation time. */
export type NewFile = Omit<FileRecord, 'id' | 'createdAt'>;
