import { randomUUID } from 'node:crypto';
import { type AppEnv, readJson } from '@gic/shared/http/request-context.js';
import { CHAT_TEXT_MAX } from '@gic/shared/messages/events.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { type ChatLog, ChatSessionConflict } from '../chat/chat-log.js';

/** Why no assistant answers: said in every reply, rather than a made-up answer. */
export const NO_CHAT_MODEL = 'no chat model configured: MedGemma is operator-supplied';

const messageSchema = z.object({
  /** Omitted: a new session, about the procedure on the screen. */
  sessionId: z.uuid('must be a UUID').optional(),
  text: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(CHAT_TEXT_MAX, `must be at most ${CHAT_TEXT_MAX} characters`),
  by: z.string().trim().min(1).max(100).optional(),
});

export interface ChatDeps {
  messages: Pick<ChatLog, 'record' | 'procedureOf' | 'history'>;
  /** The procedure on the in-room screen (open, or the one just ended); undefined before any video. */
  currentProcedureId: () => string | undefined;
  /** Called once a message is stored, so that its event goes out now. */
  recorded?: () => void;
}

/**
 * The seed's chat routes, served by the edge for the room: `POST /message` `{sessionId?, text, by?}`
 * stores the user's message (and its event for the hub) and `GET /:sessionId` returns the history.
 * No chat model runs in this version, and the reply says so instead of inventing an answer.
 */
export function chatRoutes(deps: ChatDeps) {
  return new Hono<AppEnv>()
    .post('/message', async (c) => {
      const { sessionId = randomUUID(), text, by } = await readJson(c, messageSchema);
      const procedureId = deps.messages.procedureOf(sessionId) ?? deps.currentProcedureId();
      if (!procedureId)
        throw new HTTPException(409, {
          message: 'no procedure yet: a chat session is about a procedure, and none has started here',
        });
      try {
        const message = deps.messages.record({
          sessionId,
          procedureId,
          role: 'user',
          text,
          ...(by ? { by } : {}),
        });
        deps.recorded?.();
        // Never the text: it may name the patient.
        c.get('log').info({ sessionId, procedureId, messageId: message.messageId }, 'chat message stored');
        return c.json({ message, reply: null, reason: NO_CHAT_MODEL }, 201);
      } catch (err) {
        if (err instanceof ChatSessionConflict) throw new HTTPException(409, { message: err.message });
        throw err;
      }
    })
    .get('/:sessionId', (c) => {
      const sessionId = c.req.param('sessionId');
      if (!z.uuid().safeParse(sessionId).success)
        throw new HTTPException(400, { message: 'session id must be a UUID' });
      const messages = deps.messages.history(sessionId);
      if (messages.length === 0) throw new HTTPException(404, { message: `no chat session ${sessionId}` });
      return c.json({ sessionId, procedureId: messages[0]!.procedureId, messages });
    });
}
