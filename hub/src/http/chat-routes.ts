import { chatRoutes } from '@gic/shared/chat/chat-routes.js';
import { ChatService } from '@gic/shared/chat/chat-service.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { UserClaims } from '../auth/session-tokens.js';
import { hubProcedureFacts } from '../chat/hub-procedure-facts.js';
import { procedureConversations, reviewChatStore, roomSession } from '../chat/review-chat-store.js';
import type { Queryable } from '../db/database.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

/**
 * The chat at the hub, for those who may read procedures (chat.use): the seed's routes (shared/src/chat/chat-routes.ts)
 * over the review chat's own sessions, each about a whole procedure (`procedureId` names it, `tMs`
 * the video's position), asked in the user's name; `GET /{sessionId}` reads a room's session too;
 * `GET /procedures/{procedureId}` the room's conversation and the review chat's, side by side.
 */
export function hubChatRoutes(db: Queryable, auth: UserAuth, vlm: VlmEngine, timeoutMs?: number) {
  const service = new ChatService({
    store: reviewChatStore(db),
    facts: hubProcedureFacts(db),
    vlm,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
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
        return c.json({ procedureId, ...(await procedureConversations(db, procedureId)) });
      })
      .route(
        '/',
        chatRoutes({
          service,
          noProcedure: 'procedureId is required: a review session is about the procedure it names',
          askedBy: (c) => (c.get('user') as UserClaims | undefined)?.username,
          checkSession: async (sessionId) => {
            if ((await roomSession(db, sessionId)).length > 0)
              throw new HTTPException(409, {
                message: `session ${sessionId} is a room's conversation, kept as the room had it: ask in a review session`,
              });
          },
          otherHistory: (sessionId) => roomSession(db, sessionId),
        }),
      )
  );
}
