import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { type AlertSettings, alertSettingsSchema } from '../alerts/alert-settings.js';
import type { Operator } from '../operators/operators-store.js';

const name = z.string().trim().min(1).max(100);
const signInSchema = z.object({ name: name.nullable() });
/** Only what an endoscopist may tune; the matching rules stay the room's. */
const settingsSchema = alertSettingsSchema
  .pick({ sensitivity: true, minDurationMs: true, cooldownMs: true })
  .partial()
  .strict();

export interface OperatorActions {
  list(): Operator[];
  signedIn(): string | null;
  signIn(name: string | null): void;
  settingsFor(name: string | null): AlertSettings;
  save(name: string, changes: Partial<AlertSettings>): Operator;
}

/**
 * Endoscopists on this box: `GET /` lists them with their alert settings, `GET /current` and
 * `PUT /current` (`{name}`, null signs out) say who is signed in on the screen, `GET /:name/alert-settings`
 * and `PUT /:name/alert-settings` (`{sensitivity?, minDurationMs?, cooldownMs?}`) read and change theirs.
 */
export function operatorRoutes(actions: OperatorActions) {
  const param = (value: string | undefined) => {
    const parsed = name.safeParse(value ?? '');
    if (!parsed.success) throw new HTTPException(400, { message: 'name must be 1 to 100 characters' });
    return parsed.data;
  };
  return new Hono<AppEnv>()
    .get('/', (c) => c.json({ operators: actions.list(), signedIn: actions.signedIn() }))
    .get('/current', (c) => {
      const signedIn = actions.signedIn();
      return c.json({ name: signedIn, alertSettings: actions.settingsFor(signedIn) });
    })
    .put('/current', async (c) => {
      const body = await readJson(c, signInSchema);
      actions.signIn(body.name);
      c.get('log').info({ operator: body.name }, body.name ? 'signed in on the screen' : 'signed out');
      return c.json({ name: body.name, alertSettings: actions.settingsFor(body.name) });
    })
    .get('/:name/alert-settings', (c) => c.json(actions.settingsFor(param(c.req.param('name')))))
    .put('/:name/alert-settings', async (c) => {
      const changes = await readJson(c, settingsSchema);
      const saved = actions.save(param(c.req.param('name')), changes);
      c.get('log').info({ operator: saved.name, alertSettings: saved.alertSettings }, 'alert settings saved');
      return c.json(saved);
    });
}
