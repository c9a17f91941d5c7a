// The audit log is written after the response: successful writes are recorded with who, what,
// which id and the request id; failed writes are not; a broken audit store never fails a request.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { AuditLogRepository } from '../../src/modules/audit/audit-log.repository.js';
import type { AuditEntry } from '../../src/plugins/audit-log.js';
import { buildTestApp } from '../helpers/app.js';
import { filePart, postFiles } from '../helpers/factories/files.js';
import { createUser, type TestUser } from '../helpers/factories/users.js';

let app: App;
let user: TestUser;

const entriesFor = (requestId: string) => app.prisma.auditLog.findMany({ where: { requestId } });

beforeAll(async () => {
  app = await buildTestApp();
  user = await createUser(app);
});
afterAll(() => app.close());

describe('audit log', () => {
  it('records a create, an update and a delete with actor, entity id and request id', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: user.headers,
      payload: { name: 'Audited', price: 2 },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: number }>();
    const createdEntries = await vi.waitFor(async () => {
      const rows = await entriesFor(created.headers['x-request-id'] as string);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(createdEntries[0]).toMatchObject({
      actorId: user.id,
      action: 'create',
      entity: 'items',
      entityId: String(id),
    });
    expect(createdEntries[0]!.createdAt).toBeInstanceOf(Date);

    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${id}`,
      headers: user.headers,
      payload: { price: 3 },
    });
    const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/items/${id}`, headers: user.headers });
    await vi.waitFor(async () => {
      expect(await entriesFor(patched.headers['x-request-id'] as string)).toMatchObject([
        { action: 'update', entity: 'items', entityId: String(id), actorId: user.id },
      ]);
      expect(await entriesFor(deleted.headers['x-request-id'] as string)).toMatchObject([
        { action: 'delete', entity: 'items', entityId: String(id) },
      ]);
    });
  });

  it('records nothing for a refused write or a read', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: user.headers,
      payload: { name: '' },
    });
    expect(refused.statusCode).toBe(422);
    const read = await app.inject({ method: 'GET', url: '/api/v1/items' });
    // A later write's entry proves the hook has run for the requests before it.
    const marker = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: user.headers,
      payload: { name: 'Marker', price: 1 },
    });
    await vi.waitFor(async () => expect(await entriesFor(marker.headers['x-request-id'] as string)).toHaveLength(1));
    expect(await entriesFor(refused.headers['x-request-id'] as string)).toHaveLength(0);
    expect(await entriesFor(read.headers['x-request-id'] as string)).toHaveLength(0);
  });

  it('records one row per uploaded file, with the file id', async () => {
    const uploaded = await postFiles(app, user, [
      filePart({ filename: 'a.txt', content: 'one' }),
      filePart({ filename: 'b.txt', content: 'two' }),
    ]);
    expect(uploaded.statusCode).toBe(201);
    const ids = uploaded.json<Array<{ id: string }>>().map((file) => file.id);
    const rows = await vi.waitFor(async () => {
      const found = await entriesFor(uploaded.headers['x-request-id'] as string);
      expect(found).toHaveLength(2);
      return found;
    });
    expect(rows.map((row) => row.entityId).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.action === 'create' && row.entity === 'files' && row.actorId === user.id)).toBe(
      true,
    );
  });

  it('never delays the response: a slow audit store writes the row after the client has its answer', async () => {
    const delayMs = 2_000;
    class SlowAuditLog extends AuditLogRepository {
      override async record(entry: AuditEntry): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await super.record(entry);
      }
    }
    const slow = await buildTestApp({ overrides: { auditLog: new SlowAuditLog(app.prisma) } });
    try {
      const started = performance.now();
      const response = await slow.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: user.headers,
        payload: { name: 'Not delayed', price: 1 },
      });
      const answeredAfter = performance.now() - started;
      expect(response.statusCode).toBe(201);
      expect(answeredAfter).toBeLessThan(delayMs / 2);
      const requestId = response.headers['x-request-id'] as string;
      expect(await entriesFor(requestId)).toHaveLength(0);
      await vi.waitFor(async () => expect(await entriesFor(requestId)).toHaveLength(1), {
        timeout: delayMs * 3,
        interval: 100,
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(delayMs);
    } finally {
      await slow.close();
    }
  });

  it('logs a failure to record and still answers the request normally', async () => {
    class BrokenAuditLog extends AuditLogRepository {
      override async record(_entry: AuditEntry): Promise<void> {
        throw new Error('audit store down');
      }
    }
    const lines: string[] = [];
    const broken = await buildTestApp({
      overrides: { auditLog: new BrokenAuditLog(app.prisma) },
      env: { LOG_LEVEL: 'error' },
      logStream: { write: (line) => void lines.push(line) },
    });
    try {
      const response = await broken.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: user.headers,
        payload: { name: 'Still fine', price: 1 },
      });
      expect(response.statusCode).toBe(201);
      await vi.waitFor(() => expect(lines.some((line) => line.includes('audit log write failed'))).toBe(true));
    } finally {
      await broken.close();
    }
  });
});
