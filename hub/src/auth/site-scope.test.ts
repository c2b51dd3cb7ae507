import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { listDevices, setDevicePlace } from '../devices/devices-repo.js';
import { procedureFilterSchema, searchProcedures } from '../procedures/procedure-search.js';
import { insertUploadedVideo } from '../videos/videos-repo.js';
import {
  deviceInScope,
  loadSiteScope,
  procedureInScope,
  type SiteChoiceRefused,
  type SiteScope,
  scopeFor,
  siteCondition,
  siteForNew,
  siteListSchema,
  siteNameSchema,
} from './site-scope.js';

const only = (...sites: string[]): SiteScope => ({ all: false, sites });
const every: SiteScope = { all: true, sites: [] };

describe('site scope', () => {
  it('leaves admins and auditors unscoped and scopes every other role to its sites', () => {
    expect(scopeFor('admin', []).all).toBe(true);
    expect(scopeFor('auditor', ['A']).all).toBe(true);
    for (const role of ['reviewer', 'trainee', 'operator'] as const)
      expect(scopeFor(role, ['A'])).toEqual({ all: false, sites: ['A'] });
  });

  it('writes one parameterised condition, none for those who see every site', () => {
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    expect(siteCondition(every, 'd.site', param)).toBeNull();
    expect(siteCondition(only('A', "B' OR 1=1"), 'd.site', param)).toBe('d.site = ANY($1::text[])');
    expect(params).toEqual([['A', "B' OR 1=1"]]);
  });

  it('chooses the site of something new: the one asked for if it is yours, else your only one', () => {
    expect(siteForNew(only('A'), undefined)).toBe('A');
    expect(siteForNew(only('A', 'B'), 'B')).toBe('B');
    expect(siteForNew(every, 'Z')).toBe('Z');
    expect(siteForNew(every, undefined)).toBeNull();
    expect(siteForNew({ all: true, sites: ['A'] }, undefined)).toBe('A');
    const refused = (scope: SiteScope, site?: string) => {
      try {
        siteForNew(scope, site);
      } catch (err) {
        return (err as SiteChoiceRefused).status;
      }
      return 'chosen';
    };
    expect(refused(only('A'), 'B')).toBe(403);
    expect(refused(only(), undefined)).toBe(403);
    expect(refused(only('A', 'B'), undefined)).toBe(400);
  });

  it('takes site names of letters, digits and a little punctuation, each once', () => {
    expect(siteNameSchema.parse('  St. Mary (North) #2 ')).toBe('St. Mary (North) #2');
    expect(siteNameSchema.parse('Höpital Édouard-Herriot')).toBe('Höpital Édouard-Herriot');
    for (const bad of ['', ' ', "A'; DROP TABLE users; --", 'a\nb', 'x'.repeat(101)])
      expect(siteNameSchema.safeParse(bad).success, bad).toBe(false);
    expect(siteListSchema.parse(['B', 'A', 'B'])).toEqual(['A', 'B']);
  });
});

describe('site scope in PostgreSQL', () => {
  let db: Database;
  const procedures: Record<string, string> = {};

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    for (const [id, site] of [
      ['dev-a', 'A'],
      ['dev-b', 'B'],
      ['dev-none', null],
    ] as const) {
      await db.query(
        "INSERT INTO devices (id, name, public_jwk, site, room) VALUES ($1, $1, '{}', $2, 'Room 1')",
        [id, site],
      );
      procedures[id] = randomUUID();
      await db.query('INSERT INTO procedures (id, device_id, started_at) VALUES ($1, $2, now())', [
        procedures[id],
        id,
      ]);
    }
    // An upload in site B: its own site, whatever the upload device's.
    procedures.upload = randomUUID();
    await insertUploadedVideo(db, {
      procedureId: procedures.upload,
      rawKey: 'uploads/raw/x',
      facts: { durationMs: 1000, width: 64, height: 64, fps: 25 } as never,
      bytes: 10,
      sha256: 'f'.repeat(64),
      createdBy: 'someone',
      site: 'B',
    });
  });
  afterAll(async () => {
    await db?.end();
  });

  it('finds a procedure or device only within the scope', async () => {
    const a = only('A');
    expect(await procedureInScope(db, a, procedures['dev-a']!)).toBe(true);
    expect(await procedureInScope(db, a, procedures['dev-b']!)).toBe(false);
    expect(await procedureInScope(db, a, procedures['dev-none']!)).toBe(false);
    expect(await procedureInScope(db, a, procedures.upload!)).toBe(false);
    expect(await procedureInScope(db, only('B'), procedures.upload!)).toBe(true);
    expect(await procedureInScope(db, every, procedures['dev-none']!)).toBe(true);
    expect(await procedureInScope(db, every, randomUUID())).toBe(false);
    expect(await procedureInScope(db, only(), procedures['dev-a']!)).toBe(false);
    expect(await deviceInScope(db, a, 'dev-a')).toBe(true);
    expect(await deviceInScope(db, a, 'dev-b')).toBe(false);
    expect(await deviceInScope(db, every, 'dev-none')).toBe(true);
  });

  it('keeps lists and their totals, on every page, within the scope', async () => {
    const filter = procedureFilterSchema.parse({ limit: '1' });
    const ids = async (scope: SiteScope) => {
      const seen: string[] = [];
      let page = await searchProcedures(db, filter, scope);
      const total = page.total;
      seen.push(...page.items.map((p) => p.id));
      while (page.nextCursor) {
        page = await searchProcedures(
          db,
          procedureFilterSchema.parse({ limit: '1', cursor: page.nextCursor }),
          scope,
        );
        expect(page.total).toBe(total);
        seen.push(...page.items.map((p) => p.id));
      }
      expect(seen.length).toBe(total);
      return seen.sort();
    };
    expect(await ids(only('A'))).toEqual([procedures['dev-a']]);
    expect(await ids(only('B'))).toEqual([procedures['dev-b'], procedures.upload].sort());
    expect(await ids(only())).toEqual([]);
    expect(await ids(every)).toHaveLength(4);
    const bySite = async (site: string, scope: SiteScope) =>
      (await searchProcedures(db, procedureFilterSchema.parse({ site }), scope)).total;
    expect(await bySite('B', every)).toBe(2);
    expect(await bySite('B', only('A'))).toBe(0);
    const [summary] = (await searchProcedures(db, filter, only('A'))).items;
    expect({ site: summary!.site, room: summary!.room }).toEqual({ site: 'A', room: 'Room 1' });
    expect((await listDevices(db, only('B'))).map((d) => d.id)).toEqual(['dev-b']);
    expect((await listDevices(db, only())).map((d) => d.id)).toEqual([]);
  });

  it('moves a device only within the scope; its procedures follow it', async () => {
    expect(await setDevicePlace(db, 'dev-b', { site: 'A' }, only('A'))).toBe(false);
    expect(await setDevicePlace(db, 'upload', { site: 'A' }, every)).toBe(false);
    expect(await setDevicePlace(db, 'dev-none', { site: 'A', room: 'Room 2' }, every)).toBe(true);
    expect(await procedureInScope(db, only('A'), procedures['dev-none']!)).toBe(true);
    expect(await setDevicePlace(db, 'dev-none', { room: null }, only('A'))).toBe(true);
    const device = (await listDevices(db, only('A'))).find((d) => d.id === 'dev-none')!;
    expect({ site: device.site, room: device.room }).toEqual({ site: 'A', room: null });
  });

  it('reads a person’s scope from the database', async () => {
    const { rows } = await db.query<{ id: string }>(
      "INSERT INTO users (username, password_hash, role, sites) VALUES ('r', 'x', 'reviewer', '{A,B}') RETURNING id",
    );
    expect(await loadSiteScope(db, rows[0]!.id)).toEqual({ all: false, sites: ['A', 'B'] });
    expect(await loadSiteScope(db, randomUUID())).toBeNull();
  });
});
