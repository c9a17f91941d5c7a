import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { postFiles, uploadFile, type FileInfo } from '../../helpers/factories/files.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';
import { isolatedStorage, testStorageDriver } from '../../helpers/storage.js';
import { PDF, PNG, ZIP } from './multipart.js';

// Its own upload directory (or bucket, on the S3 driver), so "nothing left behind" is checked
// against this file's writes only.
const uploadDir = join('.tmp', `uploads-${inject('runId')}-files-routes`);
const MAX = 1024;

let app: App;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let storage: Awaited<ReturnType<typeof isolatedStorage>>;
const storedFiles = () => storage.stored();

/** Uploads that must fail run one at a time and compare disk and rows before and after. */
async function expectNothingKept(send: () => Promise<{ statusCode: number }>, status: number, user: TestUser) {
  const filesBefore = await storedFiles();
  const rowsBefore = await app.prisma.file.count({ where: { ownerId: user.id } });
  const response = await send();
  expect(response.statusCode).toBe(status);
  expect(await storedFiles()).toEqual(filesBefore);
  expect(await app.prisma.file.count({ where: { ownerId: user.id } })).toBe(rowsBefore);
  return response;
}

beforeAll(async () => {
  await rm(uploadDir, { recursive: true, force: true });
  storage = await isolatedStorage('files-routes', uploadDir);
  app = await buildTestApp({ env: { ...storage.env, MAX_UPLOAD_BYTES: String(MAX) } });
  [owner, other, admin] = await Promise.all([createUser(app), createUser(app), createAdmin(app)]);
});
afterAll(async () => {
  await app.close();
  await rm(uploadDir, { recursive: true, force: true });
});

describe('POST /api/v1/files', () => {
  it('stores one file: 201 with metadata, size and sha256; the row points at the bytes', async () => {
    const response = await postFiles(app, owner, [
      { name: 'file', filename: 'notes.txt', contentType: 'text/plain', content: 'hello world' },
    ]);
    expect(response.statusCode).toBe(201);
    const [file] = response.json<FileInfo[]>();
    expect(file).toMatchObject({
      ownerId: owner.id,
      filename: 'notes.txt',
      contentType: 'text/plain',
      size: 11,
      sha256: sha256('hello world'),
    });
    expect(file!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(file).not.toHaveProperty('storageKey');
    const row = await app.prisma.file.findUniqueOrThrow({ where: { id: file!.id } });
    expect(row.storageKey).not.toContain('notes');
    expect(await storedFiles()).toContainEqual(expect.stringContaining(row.storageKey));
  });

  it('stores several parts of one request, in order, with their own types', async () => {
    const response = await postFiles(app, owner, [
      { name: 'file', filename: 'a.png', contentType: 'image/png', content: PNG },
      { name: 'comment', content: 'plain fields are ignored' },
      { name: 'file', filename: 'b.pdf', contentType: 'application/pdf', content: PDF },
      { name: 'file', filename: 'c.zip', contentType: 'application/zip', content: ZIP },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const files = response.json<FileInfo[]>();
    expect(files.map((f) => [f.filename, f.contentType, f.size, f.sha256])).toEqual([
      ['a.png', 'image/png', PNG.length, sha256(PNG)],
      ['b.pdf', 'application/pdf', PDF.length, sha256(PDF)],
      ['c.zip', 'application/zip', ZIP.length, sha256(ZIP)],
    ]);
  });

  it('keeps a file of exactly MAX_UPLOAD_BYTES', async () => {
    const file = await uploadFile(app, owner, {
      contentType: 'application/octet-stream',
      content: Buffer.alloc(MAX, 0x61),
    });
    expect(file.size).toBe(MAX);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\evil.dll', 'evil.dll'],
    ['/absolute/path/report.txt', 'report.txt'],
    ['..', 'file'],
    ['', 'file'],
    ['tab\there\u0007\u001b.txt', 'tabhere.txt'],
    ['invoice\u202efdp.exe', 'invoicefdp.exe'],
  ])('sanitises the client name %j to %j and never uses it as a path', async (filename, expected) => {
    const file = await uploadFile(app, owner, { filename });
    expect(file.filename).toBe(expected);
    const row = await app.prisma.file.findUniqueOrThrow({ where: { id: file.id } });
    expect(row.storageKey).toMatch(/^[0-9a-f-]{36}$/);
    const onDisk = await storedFiles();
    expect(onDisk.every((path) => path.startsWith(storage.root))).toBe(true);
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413 and keeps nothing, earlier parts included', async () => {
    const response = await expectNothingKept(
      () =>
        postFiles(app, owner, [
          { name: 'file', filename: 'ok.txt', contentType: 'text/plain', content: 'fine' },
          {
            name: 'file',
            filename: 'big.bin',
            contentType: 'application/octet-stream',
            content: Buffer.alloc(MAX + 1),
          },
        ]),
      413,
      owner,
    );
    expect(problemOf(response as never)).toMatchObject({
      status: 413,
      detail: `Each file may be at most ${MAX} bytes`,
    });
  });

  it('refuses a much larger file the same way', async () => {
    await expectNothingKept(
      () =>
        postFiles(app, owner, [
          {
            name: 'file',
            filename: 'big.bin',
            contentType: 'application/octet-stream',
            content: Buffer.alloc(MAX * 50),
          },
        ]),
      413,
      owner,
    );
  });

  it.each([
    ['image/png', PDF],
    ['image/jpeg', PNG],
    ['application/pdf', Buffer.from('not a pdf')],
    ['image/gif', Buffer.alloc(0)],
    ['text/plain', PNG],
    ['application/json', ZIP],
  ])(
    'refuses content that is not the declared %s (magic bytes) with 415, keeping nothing',
    async (contentType, content) => {
      const response = await expectNothingKept(
        () => postFiles(app, owner, [{ name: 'file', filename: 'x', contentType, content }]),
        415,
        owner,
      );
      expect(problemOf(response as never).detail).toContain(contentType);
    },
  );

  it('accepts any bytes as application/octet-stream and matching signatures for the rest', async () => {
    expect((await uploadFile(app, owner, { contentType: 'application/octet-stream', content: PNG })).contentType).toBe(
      'application/octet-stream',
    );
    expect((await uploadFile(app, owner, { contentType: 'IMAGE/PNG; charset=binary', content: PNG })).contentType).toBe(
      'image/png',
    );
    expect((await uploadFile(app, owner, { contentType: 'text/plain', content: Buffer.alloc(0) })).size).toBe(0);
  });

  it('refuses a type outside ALLOWED_UPLOAD_TYPES with 415', async () => {
    const response = await expectNothingKept(
      () =>
        postFiles(app, owner, [
          { name: 'file', filename: 'x.html', contentType: 'text/html', content: '<script>alert(1)</script>' },
        ]),
      415,
      owner,
    );
    expect(problemOf(response as never).detail).toContain('text/html');
  });

  it('answers 422 when no file part is sent', async () => {
    const response = await expectNothingKept(
      () => postFiles(app, owner, [{ name: 'file', content: 'a field, not a file' }]),
      422,
      owner,
    );
    expect(problemOf(response as never).errors).toEqual([
      { path: '/body/file', message: 'must contain at least one file part' },
    ]);
    expect((await expectNothingKept(() => postFiles(app, owner, []), 422, owner)).statusCode).toBe(422);
  });

  it('answers 422 for a file under another field name, keeping nothing', async () => {
    const response = await expectNothingKept(
      () =>
        postFiles(app, owner, [
          { name: 'file', filename: 'a.txt', contentType: 'text/plain', content: 'a' },
          { name: 'avatar', filename: 'b.txt', contentType: 'text/plain', content: 'b' },
        ]),
      422,
      owner,
    );
    expect(problemOf(response as never).errors?.[0]?.path).toBe('/body/avatar');
  });

  it('answers 415 to a JSON body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/files',
      headers: owner.headers,
      payload: { file: 'x' },
    });
    expect(response.statusCode).toBe(415);
    expect(problemOf(response).status).toBe(415);
  });

  it('needs authentication', async () => {
    const response = await postFiles(app, undefined, [
      { name: 'file', filename: 'a.txt', contentType: 'text/plain', content: 'a' },
    ]);
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).status).toBe(401);
  });
});

describe('POST /api/v1/files over a real socket', () => {
  it('keeps nothing when the client goes away in the middle of a file', async () => {
    const uploader = await createUser(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const before = await storedFiles();
    const boundary = 'abort-boundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${uploader.headers.authorization}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n${head}${'x'.repeat(500)}`,
    );
    // The part has reached storage once a temporary file exists; then the client vanishes. (S3
    // buffers a part of 5 MiB before it sends anything: no sign to wait for but time.)
    if (testStorageDriver() === 'local') {
      await vi.waitFor(async () => expect((await storedFiles()).length).toBeGreaterThan(before.length), {
        timeout: 10_000,
        interval: 20,
      });
    } else {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    socket.destroy();
    await vi.waitFor(async () => expect(await storedFiles()).toEqual(before), { timeout: 10_000, interval: 50 });
    expect(await app.prisma.file.count({ where: { ownerId: uploader.id } })).toBe(0);
  });
});

describe('GET /api/v1/files and /api/v1/files/:id', () => {
  it('lists only your own files, newest first, paginated; an ADMIN sees everybody’s', async () => {
    const lister = await createUser(app);
    const first = await uploadFile(app, lister, { filename: 'first.txt' });
    const second = await uploadFile(app, lister, { filename: 'second.txt' });
    const theirs = await uploadFile(app, other, { filename: 'theirs.txt' });

    const page = await app.inject({ method: 'GET', url: '/api/v1/files?limit=1', headers: lister.headers });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ total: 2, totalIsExact: true, skip: 0, limit: 1, items: [{ id: second.id }] });
    const next = await app.inject({ method: 'GET', url: '/api/v1/files?limit=1&skip=1', headers: lister.headers });
    expect(next.json().items.map((f: FileInfo) => f.id)).toEqual([first.id]);

    const all = await app.inject({ method: 'GET', url: '/api/v1/files?limit=100', headers: admin.headers });
    expect(all.json().total).toBeGreaterThanOrEqual(3);
    const ownersSeen = new Set(all.json().items.map((f: FileInfo) => f.ownerId));
    expect(ownersSeen.size).toBeGreaterThan(1);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/files/${theirs.id}`, headers: admin.headers })).json(),
    ).toMatchObject({ id: theirs.id, ownerId: other.id });
  });

  it('reads one file’s metadata', async () => {
    const file = await uploadFile(app, owner);
    const response = await app.inject({ method: 'GET', url: `/api/v1/files/${file.id}`, headers: owner.headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(file);
  });

  it('answers 404 for another user’s file and for an unknown id alike (no enumeration)', async () => {
    const file = await uploadFile(app, owner);
    for (const url of [
      `/api/v1/files/${file.id}`,
      `/api/v1/files/${file.id}/content`,
      `/api/v1/files/${randomUUID()}`,
      `/api/v1/files/${randomUUID()}/content`,
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: other.headers });
      expect(response.statusCode, url).toBe(404);
      expect(problemOf(response).detail).toBe('File not found');
    }
    const removal = await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.id}`, headers: other.headers });
    expect(removal.statusCode).toBe(404);
    expect(await app.prisma.file.count({ where: { id: file.id } })).toBe(1);
  });

  it('answers 422 for an id that is not a uuid (traversal attempts included)', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '123', 'not-a-uuid']) {
      const response = await app.inject({ method: 'GET', url: `/api/v1/files/${id}/content`, headers: owner.headers });
      expect(response.statusCode, id).toBe(422);
    }
  });

  it('needs authentication everywhere', async () => {
    const file = await uploadFile(app, owner);
    for (const [method, url] of [
      ['GET', '/api/v1/files'],
      ['GET', `/api/v1/files/${file.id}`],
      ['GET', `/api/v1/files/${file.id}/content`],
      ['DELETE', `/api/v1/files/${file.id}`],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});

describe('GET /api/v1/files/:id/content', () => {
  const content = Buffer.from('0123456789abcdefghij'); // 20 bytes
  let file: FileInfo;
  let url: string;

  beforeAll(async () => {
    file = await uploadFile(app, owner, { filename: 'Résumé final.txt', content });
    url = `/api/v1/files/${file.id}/content`;
  });

  const get = (headers: Record<string, string> = {}, user: TestUser = owner) =>
    app.inject({ method: 'GET', url, headers: { ...user.headers, ...headers } });

  it('streams the whole file with type, length, attachment disposition and a strong ETag', async () => {
    const response = await get({ 'accept-encoding': 'gzip' });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload).toEqual(content);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.headers['content-length']).toBe('20');
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers.etag).toBe(`"${sha256(content)}"`);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="Resume final.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20final.txt`,
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('lets an ADMIN download anybody’s file', async () => {
    const response = await get({}, admin);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload).toEqual(content);
  });

  it('answers 304 with no body when If-None-Match matches, 200 otherwise', async () => {
    const etag = `"${sha256(content)}"`;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await get({ 'if-none-match': header });
      expect(response.statusCode, header).toBe(304);
      expect(response.body).toBe('');
      expect(response.headers.etag).toBe(etag);
    }
    expect((await get({ 'if-none-match': '"stale"' })).statusCode).toBe(200);
  });

  it.each([
    ['bytes=0-0', '0', 'bytes 0-0/20'],
    ['bytes=19-19', 'j', 'bytes 19-19/20'],
    ['bytes=19-', 'j', 'bytes 19-19/20'],
    ['bytes=-1', 'j', 'bytes 19-19/20'],
    ['bytes=-5', 'fghij', 'bytes 15-19/20'],
    ['bytes=-100', '0123456789abcdefghij', 'bytes 0-19/20'],
    ['bytes=5-9', '56789', 'bytes 5-9/20'],
    ['bytes=10-1000', 'abcdefghij', 'bytes 10-19/20'],
  ])('answers %s with 206, the bytes and Content-Range', async (range, body, contentRange) => {
    const response = await get({ range });
    expect(response.statusCode).toBe(206);
    expect(response.body).toBe(body);
    expect(response.headers['content-range']).toBe(contentRange);
    expect(response.headers['content-length']).toBe(String(body.length));
  });

  it.each(['bytes=20-', 'bytes=20-25', 'bytes=-0'])(
    'answers %s (beyond the end) with 416 and the size',
    async (range) => {
      const response = await get({ range });
      expect(response.statusCode).toBe(416);
      expect(response.headers['content-range']).toBe('bytes */20');
      expect(problemOf(response).status).toBe(416);
    },
  );

  it.each(['bytes=0-1,5-6', 'bytes=5-2', 'lines=1-2', 'garbage'])(
    'ignores the Range %s and sends the whole file',
    async (range) => {
      const response = await get({ range });
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload).toEqual(content);
    },
  );

  it('honours a range only while If-Range still matches', async () => {
    expect((await get({ range: 'bytes=0-1', 'if-range': `"${sha256(content)}"` })).statusCode).toBe(206);
    const changed = await get({ range: 'bytes=0-1', 'if-range': '"an-older-version"' });
    expect(changed.statusCode).toBe(200);
    expect(changed.rawPayload).toEqual(content);
  });

  it('answers HEAD with the headers of GET and no body, ranges included', async () => {
    const whole = await app.inject({ method: 'HEAD', url, headers: owner.headers });
    expect(whole.statusCode).toBe(200);
    expect(whole.body).toBe('');
    expect(whole.headers['content-length']).toBe('20');
    expect(whole.headers.etag).toBe(`"${sha256(content)}"`);
    const ranged = await app.inject({ method: 'HEAD', url, headers: { ...owner.headers, range: 'bytes=-5' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-length']).toBe('5');
    expect(ranged.headers['content-range']).toBe('bytes 15-19/20');
    expect((await app.inject({ method: 'HEAD', url, headers: other.headers })).statusCode).toBe(404);
  });

  it('checks If-None-Match before Range', async () => {
    expect((await get({ range: 'bytes=0-1', 'if-none-match': `"${sha256(content)}"` })).statusCode).toBe(304);
  });

  it('cannot satisfy a range of an empty file', async () => {
    const empty = await uploadFile(app, owner, { content: '' });
    const whole = await app.inject({ method: 'GET', url: `/api/v1/files/${empty.id}/content`, headers: owner.headers });
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-length']).toBe('0');
    const ranged = await app.inject({
      method: 'GET',
      url: `/api/v1/files/${empty.id}/content`,
      headers: { ...owner.headers, range: 'bytes=0-' },
    });
    expect(ranged.statusCode).toBe(416);
  });

  it('answers 404 (and logs) when the row exists but its bytes are gone', async () => {
    const lost = await uploadFile(app, owner);
    const row = await app.prisma.file.findUniqueOrThrow({ where: { id: lost.id } });
    await app.services.storage.delete(row.storageKey);
    const response = await app.inject({
      method: 'GET',
      url: `/api/v1/files/${lost.id}/content`,
      headers: owner.headers,
    });
    expect(response.statusCode).toBe(404);
    expect(problemOf(response).detail).toBe('File not found');
  });
});

describe('DELETE /api/v1/files/:id', () => {
  it('removes the row and the bytes: 204, then 404', async () => {
    const file = await uploadFile(app, owner);
    const { storageKey } = await app.prisma.file.findUniqueOrThrow({ where: { id: file.id } });
    const response = await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.id}`, headers: owner.headers });
    expect(response.statusCode).toBe(204);
    expect(await app.prisma.file.count({ where: { id: file.id } })).toBe(0);
    expect(await app.services.storage.stat(storageKey)).toBeNull();
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/files/${file.id}`, headers: owner.headers })).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.id}`, headers: owner.headers })).statusCode,
    ).toBe(404);
  });

  it('lets an ADMIN delete anybody’s file', async () => {
    const file = await uploadFile(app, other);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.id}`, headers: admin.headers })).statusCode,
    ).toBe(204);
  });
});
