// The audit log as after-response work (the notes' background tasks): every successful write
// request is recorded once its response has been sent, so it never delays the client, and a
// failure to record is logged, never surfaced. Writes still in flight are awaited on close.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** One row of the audit log: who did what to which entity, under which request. */
export interface AuditEntry {
  actorId: number | null;
  action: string;
  entity: string;
  entityId: string | null;
  requestId: string;
}

export interface AuditLogOptions {
  /** Where entries go (the audit module's repository). */
  auditLog: { record(entry: AuditEntry): Promise<void> };
}

const ACTIONS: Record<string, string> = { POST: 'create', PUT: 'replace', PATCH: 'update', DELETE: 'delete' };

/** `/api/v1/items/:id` -> `items`; `/api/v1/items/import` -> `items/import`. */
function entityOf(routeUrl: string): string {
  const segments = routeUrl
    .replace(/^\/api\/v\d+\//, '/')
    .split('/')
    .filter((segment) => segment && !segment.startsWith(':'));
  return segments.join('/') || '/';
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * What a write created when no single `Location` can name it (an upload of several files):
     * the handler sets the ids, and each gets an audit row of its own.
     */
    auditEntityIds: string[] | null;
  }
}

/** The ids the write was about: the `:id` path parameter, the handler's ids, or the new resource's Location. */
function entityIdsOf(request: FastifyRequest, reply: FastifyReply): Array<string | null> {
  const params = request.params as Record<string, unknown> | undefined;
  if (params && (typeof params.id === 'string' || typeof params.id === 'number')) return [String(params.id)];
  if (request.auditEntityIds?.length) return request.auditEntityIds;
  const location = reply.getHeader('location');
  return [typeof location === 'string' ? (location.split('?')[0]!.split('/').pop() ?? null) : null];
}

export function auditEntriesOf(request: FastifyRequest, reply: FastifyReply): AuditEntry[] {
  const action = ACTIONS[request.method];
  const routeUrl = request.routeOptions.url;
  if (!action || !routeUrl || reply.statusCode >= 400) return [];
  // request.user is set by the authenticate guard; public writes (sign-up) have no actor.
  const actor = request.user as { id?: unknown } | null | undefined;
  const actorId = typeof actor?.id === 'number' ? actor.id : null;
  const entity = entityOf(routeUrl);
  return entityIdsOf(request, reply).map((entityId) => ({ actorId, action, entity, entityId, requestId: request.id }));
}

export default fp<AuditLogOptions>(
  async (app, { auditLog }) => {
    // Writes in flight, awaited on close. A Set rather than a library (p-queue's onIdle): these
    // few lines need no queue and no concurrency limit.
    const pending = new Set<Promise<void>>();
    app.decorateRequest('auditEntityIds', null);
    app.addHook('onResponse', async (request, reply) => {
      for (const entry of auditEntriesOf(request, reply)) {
        const write = auditLog
          .record(entry)
          .catch((err: unknown) => request.log.error({ err, audit: entry }, 'audit log write failed'))
          .finally(() => pending.delete(write));
        pending.add(write);
      }
    });
    app.addHook('onClose', async () => {
      await Promise.all([...pending]);
    });
  },
  { name: 'audit-log' },
);
