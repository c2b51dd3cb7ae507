import { describe, expect, it } from 'vitest';
import { alertSettingsSchema } from '../alerts/alert-settings.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { OperatorsStore } from './operators-store.js';

const room = alertSettingsSchema.parse({ sensitivity: 0.6, minDurationMs: 300, cooldownMs: 5000 });

describe('OperatorsStore', () => {
  it("keeps each endoscopist's alert settings, and the room's defaults for anyone else", () => {
    const store = new OperatorsStore(openEdgeDatabase(':memory:'), room);
    expect(store.settingsFor(null)).toEqual(room);
    expect(store.settingsFor('dr.a')).toEqual(room);
    const saved = store.save('dr.a', { sensitivity: 0.8, cooldownMs: 1000 });
    expect(saved.alertSettings).toEqual({ ...room, sensitivity: 0.8, cooldownMs: 1000 });
    store.save('dr.a', { minDurationMs: 0 });
    expect(store.settingsFor('dr.a')).toEqual({
      ...room,
      sensitivity: 0.8,
      cooldownMs: 1000,
      minDurationMs: 0,
    });
    expect(store.list().map((o) => o.name)).toEqual(['dr.a']);
    expect(() => store.save('dr.b', { sensitivity: 2 })).toThrow();
    expect(store.list()).toHaveLength(1);
  });

  it('remembers who is signed in on the screen', () => {
    const db = openEdgeDatabase(':memory:');
    const store = new OperatorsStore(db, room);
    expect(store.signedIn).toBeNull();
    store.signIn('dr.a');
    store.signIn('dr.b');
    expect(new OperatorsStore(db, room).signedIn).toBe('dr.b');
    store.signIn(null);
    expect(store.signedIn).toBeNull();
  });
});
