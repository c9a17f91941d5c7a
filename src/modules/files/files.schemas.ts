import { Type } from 'typebox';
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

export const FileList = Type.Array(FileOut, { title: 'UploadedFiles' });
export const FilePage = Page(FileOut, 'FilePage');
export const ListFilesQuery = Type.Object(paginationProperties, { additionalProperties: false });
export const FileParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Documents the multipart form for OpenAPI; the parts themselves are checked as they stream. */
export const UploadForm = Type.Object(
  {
    file: Type.Array(Type.String({ format: 'binary' }), { minItems: 1, description: 'One or more `file` parts, each with its own Content-Type' }),
  },
  { title: 'FileUpload' },
);
