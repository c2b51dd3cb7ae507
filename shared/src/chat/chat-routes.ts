import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { type AppEnv, readJson } from '../http/request-context.js';
import { CHAT_TEXT_MAX } from '../messages/events.js';
import { CHAT_NOTICE } from './chat-prompt.js';
import {
  type ChatEvent,
  ChatProcedureUnknown,
  type ChatService,
  ChatSessionConflict,
} from './chat-service.js';
import type { StoredChatMessage } from './chat-store.js';

/** `POST /message`: a question, in a session (omitted: a new one) about a procedure. */
export const chatRequestSchema = z.object({
  sessionId: z.uuid('must be a UUID').optional(),
  /** The procedure a new session is about (the room defaults to the one on its screen). */
  procedureId: z.uuid('must be a UUID').optional(),
  text: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(CHAT_TEXT_MAX, `must be at most ${CHAT_TEXT_MAX} characters`),
  by: z.string().trim().min(1).max(100).optional(),
  /** The point of the procedure the question is about (ms on its axis): the hub's video position. */
  tMs: z.number().nonnegative().max(86_400_000).optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export interface ChatRouteDeps {
  service: ChatService;
  /** The procedure of a new session when the request names none (the room: the one on the screen). */
  defaultProcedure?: () => string | undefined;
  /** Said when a new session names no procedure and there is no default. */
  noProcedure: string;
  /** Who asks, when the process knows better than the request (the hub's signed-in user). */
  askedBy?: (c: Context) => string | undefined;
  /** Refuses a session this process must not add to (throws HTTPException). */
  checkSession?: (sessionId: string) => Promise<void>;
  /** A session's messages kept elsewhere (the hub: the room's sessions), when the chat's store has none. */
  otherHistory?: (sessionId: string) => Promise<StoredChatMessage[]>;
  /** Called once a message is stored (the edge sends its event now). */
  recorded?: () => void;
}

const data = (e: ChatEvent) => JSON.stringify(e.type === 'delta' ? { text: e.text } : { message: e.message });

/**
 * The seed's chat routes, the same on the edge and at the hub:
 * - `POST /message` `{sessionId?, procedureId?, text, by?, tMs?}` stores the question and answers it:
 *   as Server-Sent Events (`question`, `delta`..., `answer`, or `error`) when the client accepts
 *   `text/event-stream`, else JSON `{message, reply, model, notice}` (201);
 * - `GET /status` the model's state and the notice; `GET /{sessionId}` the session's messages.
 */
export function chatRoutes(deps: ChatRouteDeps) {
  const { service } = deps;
  return new Hono<AppEnv>()
    .get('/status', (c) => c.json({ model: service.status(), notice: CHAT_NOTICE }))
    .post('/message', async (c) => {
      const body = await readJson(c, chatRequestSchema);
      const sessionId = body.sessionId ?? randomUUID();
      await deps.checkSession?.(sessionId);
      const procedureId =
        body.procedureId ?? (await service.procedureOf(sessionId)) ?? deps.defaultProcedure?.();
      if (!procedureId) throw new HTTPException(409, { message: deps.noProcedure });
      const by = deps.askedBy?.(c) ?? body.by;
      const events = service.ask(
        {
          sessionId,
          procedureId,
          text: body.text,
          ...(by ? { by } : {}),
          ...(body.tMs === undefined ? {} : { tMs: body.tMs }),
        },
        c.req.raw.signal,
      );
      // The question is checked and stored before any answer: its failures are HTTP errors.
      let first: IteratorResult<ChatEvent, void>;
      try {
        first = await events.next();
      } catch (err) {
        if (err instanceof ChatSessionConflict) throw new HTTPException(409, { message: err.message });
        if (err instanceof ChatProcedureUnknown) throw new HTTPException(404, { message: err.message });
        throw err;
      }
      deps.recorded?.();
      // Never the text: it may name the patient.
      c.get('log').info({ sessionId, procedureId }, 'chat question stored');
      if (c.req.header('accept')?.includes('text/event-stream')) {
        return streamSSE(c, async (stream) => {
          if (!first.done) await stream.writeSSE({ event: first.value.type, data: data(first.value) });
          try {
            for await (const e of events) {
              await stream.writeSSE({ event: e.type, data: data(e) });
              if (e.type === 'answer') deps.recorded?.();
            }
          } catch (err) {
            c.get('log').error({ err, sessionId }, 'chat answer failed');
            await stream.writeSSE({
              event: 'error',
              data: JSON.stringify({ error: (err as Error).message }),
            });
          }
        });
      }
      let reply: StoredChatMessage | undefined;
      for await (const e of events) if (e.type === 'answer') reply = e.message;
      deps.recorded?.();
      const message = first.done
        ? undefined
        : (first.value as Extract<ChatEvent, { type: 'question' }>).message;
      return c.json({ message, reply, model: service.status(), notice: CHAT_NOTICE }, 201);
    })
    .get('/:sessionId', async (c) => {
      const sessionId = c.req.param('sessionId');
      if (!z.uuid().safeParse(sessionId).success)
        throw new HTTPException(400, { message: 'session id must be a UUID' });
      let messages = await service.history(sessionId);
      if (messages.length === 0 && deps.otherHistory) messages = await deps.otherHistory(sessionId);
      if (messages.length === 0) throw new HTTPException(404, { message: `no chat session ${sessionId}` });
      return c.json({ sessionId, procedureId: messages[0]!.procedureId, messages, notice: CHAT_NOTICE });
    });
}
