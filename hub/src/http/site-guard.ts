import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  deviceInScope,
  loadSiteScope,
  procedureInScope,
  SiteChoiceRefused,
  type SiteScope,
  siteForNew,
} from '../auth/site-scope.js';
import type { Queryable } from '../db/database.js';
import type { HubEnv } from './hub-env.js';

const scopes = new WeakMap<Context<HubEnv>, Promise<SiteScope>>();

/**
 * The signed-in person's sites (auth/site-scope.ts), read from the database once per request; after
 * `allow(...)`. Nobody signed in, or a user gone: no site at all.
 */
export function siteScope(c: Context<HubEnv>, db: Queryable): Promise<SiteScope> {
  let scope = scopes.get(c);
  if (!scope) {
    const user = c.get('user');
    scope = user
      ? loadSiteScope(db, user.userId).then((s) => s ?? { all: false, sites: [] })
      : Promise.resolve({ all: false, sites: [] });
    scopes.set(c, scope);
  }
  return scope;
}

/** 404 with `message` unless procedure `id` exists within the person's sites (one answer for both). */
export async function requireProcedureInScope(
  c: Context<HubEnv>,
  db: Queryable,
  id: string,
  message: string,
): Promise<void> {
  if (!(await procedureInScope(db, await siteScope(c, db), id))) throw new HTTPException(404, { message });
}

/** 404 with `message` unless device `id` exists within the person's sites. */
export async function requireDeviceInScope(
  c: Context<HubEnv>,
  db: Queryable,
  id: string,
  message: string,
): Promise<void> {
  if (!(await deviceInScope(db, await siteScope(c, db), id))) throw new HTTPException(404, { message });
}

/** The site something new goes to (`siteForNew`), its refusals as HTTP answers. */
export async function siteOfNew(
  c: Context<HubEnv>,
  db: Queryable,
  requested: string | null | undefined,
): Promise<string | null> {
  try {
    return siteForNew(await siteScope(c, db), requested);
  } catch (err) {
    if (err instanceof SiteChoiceRefused) throw new HTTPException(err.status, { message: err.message });
    throw err;
  }
}
