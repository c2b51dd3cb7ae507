import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Queryable } from '../db/database.js';
import type { HubEnv } from '../http/hub-env.js';

export type AuditActorKind = 'user' | 'device' | 'service' | 'anonymous';
export type AuditOutcome = 'ok' | 'refused' | 'failed';

/** One record of the append-only audit log (table `audit_log`, migration 013). */
export interface AuditEntry {
  actorKind: AuditActorKind;
  actorId?: string | null;
  actorName?: string | null;
  actorRole?: string | null;
  /** `<object>.<verb>`, e.g. `procedure.read`, `video.play`, `export.download`, `user.create`. */
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  outcome: AuditOutcome;
  /** The client's address. */
  address?: string | null;
  detail?: Record<string, unknown> | null;
}

/** Appends one record; the time and id are the database's. */
export async function writeAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_kind, actor_id, actor_name, actor_role, action, object_type, object_id, outcome, address, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      entry.actorKind,
      entry.actorId ?? null,
      entry.actorName ?? null,
      entry.actorRole ?? null,
      entry.action,
      entry.objectType ?? null,
      entry.objectId ?? null,
      entry.outcome,
      entry.address ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ],
  );
}

/** A request's outcome from its status: refused when access was denied or not found, failed on errors. */
export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403 || status === 404 || status === 429) return 'refused';
  return 'failed';
}

export interface AuditOptions {
  /**
   * GIC_TRUST_PROXY: the hub sits behind a reverse proxy that sets X-Forwarded-For; the address
   * recorded is the last one in it (the one that proxy saw). Otherwise the socket's address.
   */
  trustProxy: boolean;
}

/** The client's address: the socket's, or behind a trusted proxy the last X-Forwarded-For hop. */
export function clientAddress(c: Context<HubEnv>, trustProxy: boolean): string | null {
  if (trustProxy) {
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    if (hops.length) return hops.at(-1)!.slice(0, 100);
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // not served by @hono/node-server (app.request in tests)
  }
}

/** The actor of a request: the signed-in user, the device, or nobody known (refused before sign-in). */
function actorOf(c: Context<HubEnv>): Pick<AuditEntry, 'actorKind' | 'actorId' | 'actorName' | 'actorRole'> {
  const user = c.get('user');
  if (user)
    return { actorKind: 'user', actorId: user.userId, actorName: user.username, actorRole: user.role };
  const deviceId = c.get('deviceId');
  if (deviceId) return { actorKind: 'device', actorId: deviceId };
  return { actorKind: 'anonymous' };
}

/**
 * Installed once on the app: where `audit(...)` declarations write. Without it (a router tested alone)
 * they record nothing.
 */
export function auditLog(db: Queryable, options: AuditOptions): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    c.set('auditSink', { db, trustProxy: options.trustProxy });
    await next();
  };
}

/** What a handler may add to its request's record: the object found or made, and details. */
export function auditObject(c: Context<HubEnv>, objectId: string, detail?: Record<string, unknown>): void {
  const pending = c.get('auditPending');
  if (!pending) return;
  pending.objectId = objectId;
  if (detail) pending.detail = { ...pending.detail, ...detail };
}

/**
 * A route's audit declaration: exactly one record per request, written when the response is known,
 * its outcome from the status (see `outcomeOf`). Put it before the route's auth middleware so that
 * refusals are recorded too. `idParam` names the path parameter holding the object's id.
 */
export function audit(
  action: string,
  objectType?: string,
  idParam?: string,
  /** Records only the requests this accepts (a pattern that also matches a path of another route). */
  when?: (c: Context<HubEnv>) => boolean,
): MiddlewareHandler<HubEnv> {
  const declared: MiddlewareHandler<HubEnv> = async (c, next) => {
    const sink = c.get('auditSink');
    // Only the outermost declaration of a request records (one record per request).
    if (!sink || c.get('auditPending') || (when && !when(c))) return next();
    const pending: { objectId?: string; detail?: Record<string, unknown> } = {};
    if (idParam) {
      const id = c.req.param(idParam);
      if (id) pending.objectId = id.slice(0, 200);
    }
    c.set('auditPending', pending);
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      try {
        await writeAudit(sink.db, {
          ...actorOf(c),
          action,
          objectType: objectType ?? null,
          objectId: pending.objectId ?? null,
          outcome: outcomeOf(status),
          address: clientAddress(c, sink.trustProxy),
          detail: { method: c.req.method, path: c.req.path, status, ...pending.detail },
        });
      } catch (err) {
        c.get('log').error({ err, action }, 'audit record not written');
      }
    }
  };
  return Object.assign(declared, { [AUDITS]: action });
}

const AUDITS = Symbol('audits');

/** The action a route handler declares (`audit(...)`), for tests that walk the route table. */
export function auditedAction(handler: unknown): string | undefined {
  return (handler as { [AUDITS]?: string } | null)?.[AUDITS];
}
