/**
 * Sites: which procedures, videos, exports, chats and devices a person may see. Admins and auditors
 * see every site (and what has none); every other role sees only the sites it is given, and with none
 * sees nothing (fail closed). A procedure's site is its own (an uploaded video's, `procedures.site`)
 * or else its device's (`devices.site`): `PROCEDURE_SITE`. Everything here is SQL, so lists, totals
 * and counts hold only what the person may see; a single object out of scope is "not found".
 */
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import type { UserRole } from './permissions.js';

/** What a person may see by site. */
export interface SiteScope {
  /** Every site, and objects with none (admins and auditors). */
  all: boolean;
  /** The sites the person is given (for `all`: only the default site of what they upload or enrol). */
  sites: string[];
}

/** The roles that see every site. */
export const UNSCOPED_ROLES: readonly UserRole[] = ['admin', 'auditor'];

/** A site or room name as an admin types it: 1 to 100 letters, digits, spaces and `. _ - / ( ) #`. */
export const siteNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\p{L}\p{N} ._\-/()#]+$/u, 'letters, digits, spaces and . _ - / ( ) # only');

/** A person's sites as given: each once, at most 100. */
export const siteListSchema = z
  .array(siteNameSchema)
  .max(100)
  .transform((sites) => [...new Set(sites)].sort());

export function scopeFor(role: UserRole, sites: readonly string[]): SiteScope {
  return { all: UNSCOPED_ROLES.includes(role), sites: [...sites] };
}

/** The site of a procedure `p` joined to its device `d`. */
export const PROCEDURE_SITE = 'coalesce(p.site, d.site)';

/**
 * The SQL condition that keeps `siteExpr` within `scope` (a site of NULL is in no one's list), with
 * its parameter added through `param` (which answers its placeholder); null when nothing is left out.
 */
export function siteCondition(
  scope: SiteScope,
  siteExpr: string,
  param: (value: unknown) => string,
): string | null {
  if (scope.all) return null;
  return `${siteExpr} = ANY(${param(scope.sites)}::text[])`;
}

/** The person's scope from the database (the role there, not the token's), or null if there is none. */
export async function loadSiteScope(db: Queryable, userId: string): Promise<SiteScope | null> {
  const { rows } = await db.query<{ role: UserRole; sites: string[] }>(
    'SELECT role, sites FROM users WHERE id = $1',
    [userId],
  );
  const row = rows[0];
  return row ? scopeFor(row.role, row.sites) : null;
}

/** Whether procedure `id` exists and is within `scope` (both or neither: nothing tells them apart). */
export async function procedureInScope(db: Queryable, scope: SiteScope, id: string): Promise<boolean> {
  const params: unknown[] = [id];
  const where = siteCondition(scope, PROCEDURE_SITE, (v) => `$${params.push(v)}`);
  const { rows } = await db.query(
    `SELECT 1 FROM procedures p JOIN devices d ON d.id = p.device_id
      WHERE p.id = $1${where ? ` AND ${where}` : ''}`,
    params,
  );
  return rows.length > 0;
}

/** Whether device `id` exists and is within `scope`. */
export async function deviceInScope(db: Queryable, scope: SiteScope, id: string): Promise<boolean> {
  const params: unknown[] = [id];
  const where = siteCondition(scope, 'd.site', (v) => `$${params.push(v)}`);
  const { rows } = await db.query(
    `SELECT 1 FROM devices d WHERE d.id = $1${where ? ` AND ${where}` : ''}`,
    params,
  );
  return rows.length > 0;
}

/** A site the person may not put something in, or none named where one must be; `status` says which. */
export class SiteChoiceRefused extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'SiteChoiceRefused';
  }
}

/**
 * The site a new object (an uploaded video, an enrolled device) goes to: the one asked for, which
 * must be one of the person's unless they see every site; else the person's only site; else, for
 * those who see every site, none (only they see it until an admin gives it one).
 */
export function siteForNew(scope: SiteScope, requested: string | null | undefined): string | null {
  if (requested) {
    if (!scope.all && !scope.sites.includes(requested))
      throw new SiteChoiceRefused(403, `site ${JSON.stringify(requested)} is not one of yours`);
    return requested;
  }
  if (scope.sites.length === 1) return scope.sites[0]!;
  if (scope.all) return null;
  throw new SiteChoiceRefused(
    scope.sites.length === 0 ? 403 : 400,
    scope.sites.length === 0
      ? 'you are given no site: an admin must give you one'
      : `name the site (one of ${scope.sites.join(', ')})`,
  );
}
