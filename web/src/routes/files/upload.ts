// Uploads files with progress. fetch cannot report upload progress, so this one call uses
// XMLHttpRequest; it stays typed against the generated schema (request parts and response) and
// authenticates like the api client (fresh token, one retry after a refresh on 401).
import { authorization } from '../../api/client';
import { ApiError, UNREACHABLE, isProblem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { refreshAccessToken } from '../../auth/session';

type Upload = paths['/api/v1/files']['post'];
export type UploadForm = Upload['requestBody']['content']['multipart/form-data'];
export type UploadedFiles = Upload['responses'][201]['content']['application/json'];

const URL_PATH: keyof paths = '/api/v1/files';

function send(form: FormData, auth: string | null, onProgress: (fraction: number) => void) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', URL_PATH);
    if (auth) xhr.setRequestHeader('authorization', auth);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response as unknown });
    xhr.onerror = () =>
      reject(new ApiError(UNREACHABLE, undefined, 'The API is unreachable. Check your connection and try again.'));
    xhr.send(form);
  });
}

const bearer = (header: string | null) => header?.replace(/^Bearer /, '');

export async function uploadFiles(files: File[], onProgress: (fraction: number) => void): Promise<UploadedFiles> {
  const parts: UploadForm = { file: files };
  const form = new FormData();
  for (const file of parts.file) form.append('file', file);
  const header = await authorization();
  let answer = await send(form, header, onProgress);
  if (answer.status === 401 && (await refreshAccessToken(bearer(header)).catch(() => null)))
    answer = await send(form, await authorization(), onProgress);
  if (answer.status === 201) return answer.body as UploadedFiles;
  if (isProblem(answer.body)) throw new ApiError(answer.status, answer.body);
  // A proxy may refuse a large body itself (nginx answers 413 with HTML).
  throw new ApiError(answer.status, undefined, answer.status === 413 ? 'The upload is too large.' : undefined);
}
