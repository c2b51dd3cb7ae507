import { type AlertSettings, alertSettingsSchema } from '../alerts/alert-settings.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import type { ScreenPerson } from './screen-sign-in.js';

/** An endoscopist known to this box, with the alert settings they chose. */
export interface Operator {
  name: string;
  alertSettings: AlertSettings;
  updatedAt: string;
}

const SIGNED_IN_KEY = 'screen.operator';
/** The signed-in person's hub identity ({userId, role}), beside their name. */
const SIGNED_IN_ID_KEY = 'screen.operator.identity';

/**
 * Endoscopists' own alert settings, kept on the box so they apply with no network, and who is signed
 * in on the in-room screen now (that person's settings drive the alerts; with nobody signed in, the
 * room's defaults do).
 */
export class OperatorsStore {
  constructor(
    private readonly db: EdgeDatabase,
    private roomDefaults: AlertSettings,
  ) {}

  /** The room's defaults now (the hub's desired configuration may change them). */
  get defaults(): AlertSettings {
    return this.roomDefaults;
  }

  /** Replaces the room's defaults; a person's own settings stay theirs. */
  setRoomDefaults(settings: AlertSettings): void {
    this.roomDefaults = { ...settings };
  }

  list(): Operator[] {
    return (
      this.db.prepare('SELECT name, alert_settings, updated_at FROM operators ORDER BY name').all() as {
        name: string;
        alert_settings: string;
        updated_at: string;
      }[]
    ).map((r) => ({ name: r.name, alertSettings: this.parse(r.alert_settings), updatedAt: r.updated_at }));
  }

  /** The settings that apply to this person: their own, else the room's defaults. */
  settingsFor(name: string | null): AlertSettings {
    if (!name) return this.roomDefaults;
    const row = this.db.prepare('SELECT alert_settings FROM operators WHERE name = ?').get(name) as
      | { alert_settings: string }
      | undefined;
    return row ? this.parse(row.alert_settings) : this.roomDefaults;
  }

  /** Saves a person's settings: what they give over what they had (or the room's defaults). */
  save(name: string, changes: Partial<AlertSettings>): Operator {
    const alertSettings = alertSettingsSchema.parse({ ...this.settingsFor(name), ...changes });
    const updatedAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO operators (name, alert_settings, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET alert_settings = excluded.alert_settings, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(alertSettings), updatedAt);
    return { name, alertSettings, updatedAt };
  }

  /** Who is signed in on the screen (kept across restarts), or null. */
  get signedIn(): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(SIGNED_IN_KEY) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  /** Who is signed in, with their hub identity (null ids: a typed name), or null. */
  get signedInPerson(): ScreenPerson | null {
    const name = this.signedIn;
    if (name === null) return null;
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(SIGNED_IN_ID_KEY) as
      | { value: string }
      | undefined;
    const id = row ? (JSON.parse(row.value) as { userId: string | null; role: string | null }) : null;
    return { name, userId: id?.userId ?? null, role: id?.role ?? null };
  }

  /** Signs a person in (a plain string: a typed name, no hub identity); null signs out. */
  signIn(person: ScreenPerson | string | null): void {
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      if (person === null) {
        this.db.prepare('DELETE FROM settings WHERE key IN (?, ?)').run(SIGNED_IN_KEY, SIGNED_IN_ID_KEY);
        return;
      }
      const p = typeof person === 'string' ? { name: person, userId: null, role: null } : person;
      upsert.run(SIGNED_IN_KEY, p.name);
      upsert.run(SIGNED_IN_ID_KEY, JSON.stringify({ userId: p.userId, role: p.role }));
    })();
  }

  /** Stored settings are re-validated; a row from an older version keeps working with today's defaults. */
  private parse(json: string): AlertSettings {
    const result = alertSettingsSchema.safeParse({ ...this.roomDefaults, ...JSON.parse(json) });
    return result.success ? result.data : this.roomDefaults;
  }
}
