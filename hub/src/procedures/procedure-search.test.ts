import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { SiteScope } from '../auth/site-scope.js';
import type { Database } from '../db/database.js';
import { procedureFilterSchema, searchProcedures } from './procedure-search.js';

const every: SiteScope = { all: true, sites: [] };

describe('procedure search paging', () => {
  let db: Database;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ('edge-paging', 'edge-paging', '{}')");
    // Seven procedures inside one millisecond, a microsecond or so apart, as the hub's own clock
    // (`now()`) dates those it creates; and two sharing one instant exactly.
    const base = '2026-12-03 10:00:00.123';
    const micros = ['456', '455', '300', '299', '001', '000', '000'];
    for (const us of micros) {
      const id = randomUUID();
      ids.push(id);
      await db.query('INSERT INTO procedures (id, device_id, started_at) VALUES ($1, $2, $3::timestamptz)', [
        id,
        'edge-paging',
        `${base}${us}+00`,
      ]);
    }
  }, 60_000);

  afterAll(async () => {
    await db?.end();
  });

  it('hands out every procedure once, page after page, however close their times are', async () => {
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const filter = procedureFilterSchema.parse({ limit: String(limit), ...(cursor ? { cursor } : {}) });
        const page = await searchProcedures(db, filter, every);
        pages++;
        expect(page.total).toBe(ids.length);
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && pages < 20);
      // Newest first; the two at the same instant in id order, descending.
      expect(seen).toHaveLength(ids.length);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(seen.slice(0, 5)).toEqual(ids.slice(0, 5));
      expect(pages).toBe(Math.ceil(ids.length / limit));
    }
  });
});
