import type { RequestVars } from '@gic/shared/http/request-context.js';
import type { UserClaims } from '../auth/session-tokens.js';
import type { Queryable } from '../db/database.js';

/** Context variables of the hub's HTTP app. */
export type HubEnv = {
  Variables: RequestVars & {
    user?: UserClaims;
    deviceId?: string;
    /** Where `audit(...)` declarations write (set by `auditLog`, see audit/audit-log.ts). */
    auditSink?: { db: Queryable; trustProxy: boolean };
    /** The request's audit record being filled in (object, details). */
    auditPending?: { objectId?: string; detail?: Record<string, unknown> };
  };
};
