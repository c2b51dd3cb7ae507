import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';

/**
 * The hub's signing secret for user sessions and its own service tokens. Kept in PostgreSQL, created
 * once by whichever process starts first, so every API, ingest and broker process signs and checks alike.
 */
export async function loadHubSecret(db: Queryable): Promise<Uint8Array> {
  await db.query(
    "INSERT INTO hub_settings (key, value) VALUES ('jwt_secret', $1) ON CONFLICT (key) DO NOTHING",
    [randomBytes(32).toString('base64')],
  );
  const { rows } = await db.query<{ value: string }>(
    "SELECT value FROM hub_settings WHERE key = 'jwt_secret'",
  );
  return new Uint8Array(Buffer.from(rows[0]!.value, 'base64'));
}
