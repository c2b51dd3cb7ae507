import type { RoomCredential, RoomCredentialList } from '@gic/shared/people/room-credentials.js';
import type { EdgeDatabase } from '../store/edge-database.js';

const VERSION_KEY = 'room_credentials.version';
const EVER_KEY = 'room_credentials.ever';

/**
 * The box's copy of the in-room credentials the hub issued (hashes only), kept in SQLite so that
 * sign-in works with no network from the last copy. Each sync replaces the whole list.
 */
export class RoomCredentialsStore {
  constructor(private readonly db: EdgeDatabase) {}

  /** The version of the copy held, or null before the first sync. */
  get version(): string | null {
    return this.setting(VERSION_KEY);
  }

  /** Whether the box has ever held a credential (then typed names are never allowed again). */
  get everHeld(): boolean {
    return this.setting(EVER_KEY) === '1';
  }

  list(): RoomCredential[] {
    return (
      this.db.prepare('SELECT user_id, name, role, pin_hash, badge_hash FROM room_credentials').all() as {
        user_id: string;
        name: string;
        role: string;
        pin_hash: string | null;
        badge_hash: string | null;
      }[]
    ).map((r) => ({
      userId: r.user_id,
      name: r.name,
      role: r.role,
      pinHash: r.pin_hash,
      badgeHash: r.badge_hash,
    }));
  }

  /** Whether this person still holds a credential here (a revoked one's sign-in ends at the sync). */
  holds(userId: string): boolean {
    return this.db.prepare('SELECT 1 FROM room_credentials WHERE user_id = ?').get(userId) !== undefined;
  }

  /** Replaces the copy with the hub's list, in one transaction. */
  replace(list: RoomCredentialList): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM room_credentials').run();
      const insert = this.db.prepare(
        'INSERT INTO room_credentials (user_id, name, role, pin_hash, badge_hash) VALUES (?, ?, ?, ?, ?)',
      );
      for (const c of list.items) insert.run(c.userId, c.name, c.role, c.pinHash, c.badgeHash);
      this.put(VERSION_KEY, list.version);
      if (list.items.length > 0) this.put(EVER_KEY, '1');
    })();
  }

  private setting(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  private put(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }
}
