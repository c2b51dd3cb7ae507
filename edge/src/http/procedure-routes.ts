import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { OpenProcedure } from '../procedures/procedure-controller.js';

const person = z.string().trim().min(1).max(100);
const startSchema = z.object({ by: person.optional() });
const endSchema = z.object({ by: person });
const landmarkSchema = z.object({ landmark: z.literal('cecum'), by: person });

export interface ProcedureActions {
  /** Why no procedure can start now (the source has ended, say), or undefined when one can. */
  unavailable?(): string | undefined;
  current(): OpenProcedure | undefined;
  /** Starts a procedure now; undefined when one is already open. */
  start(by: string | null): OpenProcedure | undefined;
  /** Ends the open procedure, with who it is recorded as ended by; undefined when none is open. */
  end(by: string): (OpenProcedure & { endedBy?: string }) | undefined;
  /** Marks the cecum reached in the current procedure; undefined when none is open or it is already marked. */
  markCecum(by: string): { procedureId: string; at: string } | undefined;
}

/**
 * The in-room procedure, for the screen and for tower integrations: `POST /` starts one
 * (`{by?}`; recorded as the person signed in on the screen, see operators/screen-actor.ts), `GET /current`, `POST /current/end` (`{by}`),
 * `POST /current/landmarks` (`{landmark: 'cecum', by}`, which starts the withdrawal time).
 */
export function procedureRoutes(actions: ProcedureActions) {
  return new Hono<AppEnv>()
    .post('/', async (c) => {
      const { by } = await readJson(c, startSchema);
      const why = actions.unavailable?.();
      if (why) throw new HTTPException(409, { message: `no procedure can start: ${why}` });
      const started = actions.start(by ?? null);
      if (!started) throw new HTTPException(409, { message: 'a procedure is already open: end it first' });
      c.get('log').info({ procedureId: started.id, by }, 'procedure started from the API');
      return c.json(started, 201);
    })
    .get('/current', (c) => {
      const current = actions.current();
      if (!current) throw new HTTPException(404, { message: 'no procedure is open' });
      return c.json(current);
    })
    .post('/current/end', async (c) => {
      const { by } = await readJson(c, endSchema);
      const ended = actions.end(by);
      if (!ended) throw new HTTPException(409, { message: 'no procedure is open' });
      const endedBy = ended.endedBy ?? by;
      c.get('log').info({ procedureId: ended.id, by: endedBy }, 'procedure ended from the API');
      return c.json({ id: ended.id, endedBy });
    })
    .post('/current/landmarks', async (c) => {
      const { by } = await readJson(c, landmarkSchema);
      const marked = actions.markCecum(by);
      if (!marked)
        throw new HTTPException(409, { message: 'no open procedure, or the cecum is already marked' });
      c.get('log').info({ ...marked, by }, 'cecum reached');
      return c.json({ landmark: 'cecum', ...marked }, 201);
    });
}
