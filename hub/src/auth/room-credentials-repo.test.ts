import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { roomCredentialsForDevice, saveRoomCredential } from './room-credentials-repo.js';

describe("a box's room credentials (against PostgreSQL)", () => {
  let db: Database;
  const secret = new Uint8Array(32).fill(5);
  beforeAll(async () => {
    ({ db } = await createTestDatabase());
  });
  afterAll(() => db.end());

  it("holds the people of the box's site and the admins; a box at no site holds everyone enabled", async () => {
    await db.query(
      `INSERT INTO devices (id, name, public_jwk, site) VALUES
         ('box-north', 'north 1', '{}', 'north'), ('box-south', 'south 1', '{}', 'south'),
         ('box-nowhere', 'lab', '{}', NULL)`,
    );
    const person = async (name: string, role: 'admin' | 'reviewer' | 'room', sites: string[]) => {
      const { userId } = await signedInUser(db, secret, name, role);
      await db.query('UPDATE users SET sites = $2 WHERE id = $1', [userId, sites]);
      await saveRoomCredential(db, userId, { name, pinHash: `hash-${name}`, badgeHash: null, by: userId });
      return userId;
    };
    await person('north-doctor', 'reviewer', ['north']);
    await person('south-nurse', 'room', ['south']);
    await person('both-nurse', 'room', ['north', 'south']);
    await person('the-admin', 'admin', []);
    const gone = await person('gone-doctor', 'reviewer', ['north']);
    await db.query('UPDATE users SET disabled_at = now() WHERE id = $1', [gone]);

    const names = async (deviceId: string) =>
      (await roomCredentialsForDevice(db, deviceId)).items.map((i) => i.name).sort();
    expect(await names('box-north')).toEqual(['both-nurse', 'north-doctor', 'the-admin']);
    expect(await names('box-south')).toEqual(['both-nurse', 'south-nurse', 'the-admin']);
    expect(await names('box-nowhere')).toEqual(['both-nurse', 'north-doctor', 'south-nurse', 'the-admin']);
    // Moving a person changes the box's list and so its version.
    const before = (await roomCredentialsForDevice(db, 'box-south')).version;
    await db.query("UPDATE users SET sites = ARRAY['north', 'south'] WHERE username = 'north-doctor'");
    expect((await roomCredentialsForDevice(db, 'box-south')).version).not.toBe(before);
  });
});
