import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { badgeSchema, pinSchema } from '@gic/shared/people/room-credentials.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { type AlertSettings, alertSettingsSchema } from '../alerts/alert-settings.js';
import type { Operator } from '../operators/operators-store.js';
import type { ScreenPerson, SignInEntry, SignInOutcome } from '../operators/screen-sign-in.js';

const name = z.string().trim().min(1).max(100);
const typedNameSchema = z.object({ name: name.nullable() });
const entrySchema = z.union([
  z.object({ pin: pinSchema }).strict(),
  z.object({ badge: badgeSchema }).strict(),
]);
/** Only what an endoscopist may tune; the matching rules stay the room's. */
const settingsSchema = alertSettingsSchema
  .pick({ sensitivity: true, minDurationMs: true, cooldownMs: true })
  .partial()
  .strict();

export interface OperatorActions {
  list(): Operator[];
  signedIn(): ScreenPerson | null;
  /** Signs a person in (a string: a typed name); null signs out. */
  signIn(person: ScreenPerson | string | null): void;
  /** Checks a PIN or badge against the box's copy, behind the throttle. */
  verify(entry: SignInEntry): Promise<SignInOutcome>;
  /** How one may sign in here now. */
  methods(): { pin: boolean; badge: boolean; typedName: boolean; lockedForSeconds: number };
  settingsFor(name: string | null): AlertSettings;
  save(name: string, changes: Partial<AlertSettings>): Operator;
}

/**
 * People at the screen: `GET /` lists those with alert settings; `GET /current` says who is signed in
 * and how one may sign in; `POST /sign-in` (`{pin}` or `{badge}`, checked offline against the hub's
 * hashes, throttled: 401 wrong, 429 with Retry-After when locked) and `POST /sign-out`; `PUT /current`
 * (`{name}`) signs a typed name in only on a box that never held a credential with
 * GIC_SCREEN_TYPED_NAMES on (null signs out anywhere); `GET|PUT /:name/alert-settings` read and change
 * a person's alert settings.
 */
export function operatorRoutes(actions: OperatorActions) {
  const param = (value: string | undefined) => {
    const parsed = name.safeParse(value ?? '');
    if (!parsed.success) throw new HTTPException(400, { message: 'name must be 1 to 100 characters' });
    return parsed.data;
  };
  const current = () => {
    const person = actions.signedIn();
    return {
      name: person?.name ?? null,
      userId: person?.userId ?? null,
      role: person?.role ?? null,
      alertSettings: actions.settingsFor(person?.name ?? null),
      signIn: actions.methods(),
    };
  };
  return new Hono<AppEnv>()
    .get('/', (c) => c.json({ operators: actions.list(), signedIn: actions.signedIn()?.name ?? null }))
    .get('/current', (c) => c.json(current()))
    .post('/sign-in', async (c) => {
      const entry = await readJson(c, entrySchema);
      const outcome = await actions.verify(entry);
      const method = 'pin' in entry ? 'pin' : 'badge';
      if (!outcome.ok) {
        c.get('log').warn({ method, status: outcome.status }, 'screen sign-in refused');
        const headers: Record<string, string> =
          outcome.status === 429 ? { 'retry-after': String(outcome.retryAfterSeconds) } : {};
        return c.json({ error: outcome.message }, outcome.status, headers);
      }
      actions.signIn(outcome.person);
      c.get('log').info(
        { operator: outcome.person.name, userId: outcome.person.userId, method },
        'signed in on the screen',
      );
      return c.json(current());
    })
    .post('/sign-out', (c) => {
      const was = actions.signedIn();
      actions.signIn(null);
      if (was) c.get('log').info({ operator: was.name, userId: was.userId }, 'signed out');
      return c.json(current());
    })
    .put('/current', async (c) => {
      const body = await readJson(c, typedNameSchema);
      if (body.name !== null && !actions.methods().typedName)
        throw new HTTPException(403, {
          message: 'sign in with your PIN or badge (POST /api/v1/operators/sign-in)',
        });
      actions.signIn(body.name);
      c.get('log').info(
        { operator: body.name },
        body.name ? 'signed in on the screen (typed name)' : 'signed out',
      );
      return c.json(current());
    })
    .get('/:name/alert-settings', (c) => c.json(actions.settingsFor(param(c.req.param('name')))))
    .put('/:name/alert-settings', async (c) => {
      const changes = await readJson(c, settingsSchema);
      const saved = actions.save(param(c.req.param('name')), changes);
      c.get('log').info({ operator: saved.name, alertSettings: saved.alertSettings }, 'alert settings saved');
      return c.json(saved);
    });
}
