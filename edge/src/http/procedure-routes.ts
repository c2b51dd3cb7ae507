import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';

const landmarkSchema = z.object({ landmark: z.literal('cecum'), by: z.string().trim().min(1).max(100) });

export interface ProcedureActions {
  /** Marks the cecum reached in the current procedure; undefined when none is open or it is already marked. */
  markCecum(by: string): { procedureId: string; at: string } | undefined;
}

/** `POST /current/landmarks` `{landmark: 'cecum', by}`: starts the withdrawal time. */
export function procedureRoutes(actions: ProcedureActions) {
  return new Hono<AppEnv>().post('/current/landmarks', async (c) => {
    const { by } = await readJson(c, landmarkSchema);
    const marked = actions.markCecum(by);
    if (!marked)
      throw new HTTPException(409, { message: 'no open procedure, or the cecum is already marked' });
    c.get('log').info({ ...marked, by }, 'cecum reached');
    return c.json({ landmark: 'cecum', ...marked }, 201);
  });
}
