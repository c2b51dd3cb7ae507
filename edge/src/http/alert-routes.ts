import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Alert } from '../alerts/alert-tracker.js';

const actorSchema = z.object({ by: z.string().trim().min(1).max(100) });

export interface AlertActions {
  acknowledge(id: string, by: string): Alert | undefined;
  dismiss(id: string, by: string): Alert | undefined;
  /** The finding's masked JPEG thumbnail, once made. */
  thumbnail(id: string): Buffer | undefined;
}

/**
 * `POST /:id/acknowledge` and `POST /:id/dismiss`, with who did it (every change is audited), and
 * `GET /:id/thumbnail.jpg`, the finding's picture with patient identity burned out.
 */
export function alertRoutes(actions: AlertActions) {
  const act = (verb: 'acknowledge' | 'dismiss') => async (c: Context<AppEnv>) => {
    const { by } = await readJson(c, actorSchema);
    const alert = actions[verb](c.req.param('id') ?? '', by);
    if (!alert)
      throw new HTTPException(404, { message: `no alert ${c.req.param('id')} that can be ${verb}d now` });
    c.get('log').info({ alertId: alert.id, by, verb }, 'alert updated from the screen');
    return c.json(alert);
  };
  return new Hono<AppEnv>()
    .post('/:id/acknowledge', act('acknowledge'))
    .post('/:id/dismiss', act('dismiss'))
    .get('/:id/thumbnail.jpg', (c) => {
      const jpeg = actions.thumbnail(c.req.param('id'));
      if (!jpeg) throw new HTTPException(404, { message: 'no thumbnail for that alert (yet)' });
      return c.body(new Uint8Array(jpeg), 200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
    });
}
