import { isUserRole, type Permission, roleHas } from '../../../src/auth/permissions.js';
import type { Session } from './api.js';

/**
 * Whether the signed-in user's role holds `permission`, read from the hub's own permission table, so
 * the portal offers exactly what the hub will allow (the hub still checks every call).
 */
export function can(session: Session, permission: Permission): boolean {
  return isUserRole(session.role) && roleHas(session.role, permission);
}
