import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Alert } from '../alerts/alert-tracker.js';

const actorSchema = z.object({ by: z.string().trim().min(1).max(100) });

export interface AlertActions {
  acknowledge(id: string, by: string): Alert | undefined;
  dismiss(id: string, by: string): Alert | undefined;
}

/** `POST /:id/acknowledge` and `POST /:id/dismiss`, with who did it; every change is audited. */
export function alertRoutes(actions: AlertActions) {
  const act = (verb: 'acknowledge' | 'dismiss') => async (c: Context<AppEnv>) => {
    const { by } = await readJson(c, actorSchema);
    const alert = actions[verb](c.req.param('id') ?? '', by);
    if (!alert)
      throw new HTTPException(404, { message: `no alert ${c.req.param('id')} that can be ${verb}d now` });
    c.get('log').info({ alertId: alert.id, by, verb }, 'alert updated from the screen');
    return c.json(alert);
  };
  return new Hono<AppEnv>().post('/:id/acknowledge', act('acknowledge')).post('/:id/dismiss', act('dismiss'));
}
