import { chatRoutes } from '@gic/shared/chat/chat-routes.js';
import { ChatService, type ChatServiceDeps } from '@gic/shared/chat/chat-service.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { UserClaims } from '../auth/session-tokens.js';
import { conversationsFor, deidentifiedFacts, seesIdentities } from '../auth/trainee-view.js';
import { hubProcedureFacts } from '../chat/hub-procedure-facts.js';
import { procedureConversations, reviewChatStore, roomSession } from '../chat/review-chat-store.js';
import type { Queryable } from '../db/database.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { requireProcedureInScope } from './site-guard.js';

/** A session a trainee may read or add to: a new one, or a review session only they asked in. */
async function mayTraineeUse(
  db: Queryable,
  sessionId: string,
  username: string | undefined,
): Promise<boolean> {
  if ((await roomSession(db, sessionId)).length > 0) return false;
  const { rows } = await db.query<{ by: string | null }>(
    "SELECT DISTINCT by FROM review_chat_messages WHERE session_id = $1 AND role = 'user'",
    [sessionId],
  );
  return rows.every((r) => r.by === username);
}

/**
 * The chat at the hub, for those who may read procedures (chat.use): the seed's routes (shared/src/chat/chat-routes.ts)
 * over the review chat's own sessions, each about a whole procedure (`procedureId` names it, `tMs`
 * the video's position, whose picture `frameAt` gives the model), asked in the user's name;
 * `GET /{sessionId}` reads a room's session too;
 * `GET /procedures/{procedureId}` the room's conversation and the review chat's, side by side. Only
 * about procedures within the person's sites: any other procedure or session is not found (404).
 */
export function hubChatRoutes(
  db: Queryable,
  auth: UserAuth,
  vlm: VlmEngine,
  timeoutMs?: number,
  frameAt?: ChatServiceDeps['frameAt'],
) {
  const store = reviewChatStore(db);
  const inScope = (c: Context, procedureId: string, message: string) =>
    requireProcedureInScope(c as Context<HubEnv>, db, procedureId, message);
  // A question carries the video's position: the model sees the recording's picture there (chat/review-frames.ts).
  const common = { store, vlm, ...(timeoutMs ? { timeoutMs } : {}), ...(frameAt ? { frameAt } : {}) };
  const service = new ChatService({ ...common, facts: hubProcedureFacts(db) });
  // A trainee's questions are answered from facts with no names in them (auth/trainee-view.ts).
  const traineeService = new ChatService({ ...common, facts: deidentifiedFacts(hubProcedureFacts(db)) });
  return (
    new Hono<HubEnv>()
      // Each request's audit record is declared before the permission check, so refusals are recorded.
      .get('/procedures/:procedureId', audit('chat.read', 'procedure', 'procedureId'))
      .post('/message', audit('chat.ask', 'chat'))
      .get(
        '/:sessionId',
        audit('chat.read', 'chat_session', 'sessionId', (c) => c.req.param('sessionId') !== 'status'),
      )
      .use('*', allow(auth, 'chat.use'))
      .get('/procedures/:procedureId', async (c) => {
        const procedureId = c.req.param('procedureId');
        if (!z.uuid().safeParse(procedureId).success)
          throw new HTTPException(400, { message: 'procedure id must be a UUID' });
        await inScope(c, procedureId, 'no such procedure');
        const user = c.get('user');
        const conversations = conversationsFor(
          user?.role,
          user?.username,
          await procedureConversations(db, procedureId),
        );
        return c.json({ procedureId, ...conversations });
      })
      // A trainee reads and adds to review sessions of their own only: a room's conversation, or
      // another user's review, answers 404 as if it were not there (trainee-view.ts).
      .use('/:sessionId', async (c, next) => {
        const user = c.get('user');
        if (seesIdentities(user?.role)) return next();
        const named =
          c.req.method === 'POST'
            ? ((await c.req.json().catch(() => ({}))) as { sessionId?: unknown }).sessionId
            : c.req.param('sessionId');
        if (typeof named !== 'string' || named === 'status' || !z.uuid().safeParse(named).success)
          return next();
        if (!(await mayTraineeUse(db, named, user?.username)))
          throw new HTTPException(404, { message: `no chat session ${named}` });
        return next();
      })
      .route(
        '/',
        chatRoutes({
          service,
          noProcedure: 'procedureId is required: a review session is about the procedure it names',
          askedBy: (c) => (c.get('user') as UserClaims | undefined)?.username,
          serviceFor: (c) =>
            seesIdentities((c.get('user') as UserClaims | undefined)?.role) ? service : traineeService,
          checkSession: async (sessionId, c) => {
            const room = await roomSession(db, sessionId);
            const procedureId = (await store.procedureOf(sessionId)) ?? room[0]?.procedureId;
            // Another site's session is not found, whatever it is.
            if (procedureId) await inScope(c, procedureId, `no chat session ${sessionId}`);
            if (room.length > 0)
              throw new HTTPException(409, {
                message: `session ${sessionId} is a room's conversation, kept as the room had it: ask in a review session`,
              });
          },
          checkProcedure: inScope,
          otherHistory: (sessionId) => roomSession(db, sessionId),
        }),
      )
  );
}
