import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { purgeEndedSessions } from './session-retention.js';

describe('purging the records of ended sessions (against PostgreSQL)', () => {
  let db: Database;
  const secret = new Uint8Array(32).fill(3);
  beforeAll(async () => {
    ({ db } = await createTestDatabase());
  });
  afterAll(() => db.end());

  it('deletes sessions ended long ago with their refresh tokens, and keeps open and recent ones', async () => {
    const now = new Date('2027-06-01T00:00:00Z');
    const day = 86_400_000;
    const open = await signedInUser(db, secret, 'open-one', 'reviewer');
    const recent = await signedInUser(db, secret, 'recent-one', 'reviewer');
    const old = await signedInUser(db, secret, 'old-one', 'reviewer');
    const expired = await signedInUser(db, secret, 'expired-one', 'trainee');
    const set = (id: string, column: string, at: Date) =>
      db.query(`UPDATE user_sessions SET ${column} = $2 WHERE id = $1`, [id, at]);
    // Every session runs to `now` + 1 day, unless it ended otherwise.
    for (const s of [open, recent, old]) await set(s.sessionId, 'expires_at', new Date(now.getTime() + day));
    await set(recent.sessionId, 'revoked_at', new Date(now.getTime() - 10 * day));
    await set(old.sessionId, 'revoked_at', new Date(now.getTime() - 91 * day));
    await set(expired.sessionId, 'expires_at', new Date(now.getTime() - 200 * day));
    const tokensOf = async (id: string) =>
      Number(
        (
          await db.query<{ n: string }>('SELECT count(*) AS n FROM refresh_tokens WHERE session_id = $1', [
            id,
          ])
        ).rows[0]!.n,
      );
    expect(await tokensOf(old.sessionId)).toBe(1);

    expect(await purgeEndedSessions(db, 90, undefined, now)).toBe(2);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM user_sessions');
    const left = new Set(rows.map((r) => r.id));
    expect(left.has(open.sessionId) && left.has(recent.sessionId)).toBe(true);
    expect(left.has(old.sessionId) || left.has(expired.sessionId)).toBe(false);
    expect(await tokensOf(old.sessionId)).toBe(0);
    // A second run finds nothing more.
    expect(await purgeEndedSessions(db, 90, undefined, now)).toBe(0);
  });
});
