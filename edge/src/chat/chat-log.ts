import { randomUUID } from 'node:crypto';
import type { ChatStore, StoredChatMessage } from '@gic/shared/chat/chat-store.js';
import type { ChatMessage } from '@gic/shared/messages/events.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';

export type { StoredChatMessage };

/** Thrown when a message names a session that is about another procedure. */
export class ChatSessionConflict extends Error {
  constructor(
    readonly sessionId: string,
    readonly procedureId: string,
  ) {
    super(`chat session ${sessionId} is about procedure ${procedureId}, not this one`);
    this.name = 'ChatSessionConflict';
  }
}

interface Row {
  id: string;
  session_id: string;
  procedure_id: string;
  role: ChatMessage['role'];
  text: string;
  by: string | null;
  at: string;
  citations: string | null;
  source: ChatMessage['source'] | null;
}

const toMessage = (r: Row): StoredChatMessage => ({
  messageId: r.id,
  sessionId: r.session_id,
  procedureId: r.procedure_id,
  role: r.role,
  text: r.text,
  at: r.at,
  ...(r.by ? { by: r.by } : {}),
  ...(r.citations ? { citations: JSON.parse(r.citations) } : {}),
  ...(r.source ? { source: r.source } : {}),
});

/**
 * The educational chat's messages in the edge's SQLite store. Each message and its `chat.message`
 * outbox event are written in one transaction (as ProcedureLog does): none is kept that the hub
 * will not hear of, and no event exists without its message.
 */
export class ChatLog {
  private readonly insert;
  private readonly sessionProcedure;
  private readonly session;

  constructor(
    private readonly db: EdgeDatabase,
    private readonly outbox: Outbox,
  ) {
    this.insert = db.prepare(
      `INSERT INTO chat_messages (id, session_id, procedure_id, role, text, by, at, citations, source)
       VALUES (@messageId, @sessionId, @procedureId, @role, @text, @by, @at, @citations, @source)`,
    );
    this.sessionProcedure = db.prepare('SELECT procedure_id FROM chat_messages WHERE session_id = ? LIMIT 1');
    // rowid keeps the order messages were stored in, even within one millisecond.
    this.session = db.prepare('SELECT * FROM chat_messages WHERE session_id = ? ORDER BY rowid');
  }

  /**
   * Stores one message of a session about `procedureId` and queues its event. A session stays
   * about the procedure of its first message: another procedure throws ChatSessionConflict.
   */
  record(input: Omit<StoredChatMessage, 'messageId' | 'at'>): StoredChatMessage {
    const message: StoredChatMessage = { ...input, messageId: randomUUID(), at: new Date().toISOString() };
    this.db.transaction(() => {
      const owner = this.procedureOf(message.sessionId);
      if (owner && owner !== message.procedureId) throw new ChatSessionConflict(message.sessionId, owner);
      this.insert.run({
        ...message,
        by: message.by ?? null,
        citations: message.citations ? JSON.stringify(message.citations) : null,
        source: message.source ?? null,
      });
      const { procedureId, ...body } = message;
      this.outbox.append({ type: 'chat.message', procedureId, body });
    })();
    return message;
  }

  /** The procedure a session is about; undefined for a session with no message yet. */
  procedureOf(sessionId: string): string | undefined {
    return (this.sessionProcedure.get(sessionId) as { procedure_id: string } | undefined)?.procedure_id;
  }

  /** A session's messages in the order they were stored; empty for an unknown session. */
  history(sessionId: string): StoredChatMessage[] {
    return (this.session.all(sessionId) as Row[]).map(toMessage);
  }

  /** The log as the chat service's store. */
  asStore(): ChatStore {
    return {
      procedureOf: async (sessionId) => this.procedureOf(sessionId),
      history: async (sessionId) => this.history(sessionId),
      record: async (message) => this.record(message),
    };
  }
}
