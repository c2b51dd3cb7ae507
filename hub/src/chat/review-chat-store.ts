import { randomUUID } from 'node:crypto';
import type { ChatStore, StoredChatMessage } from '@gic/shared/chat/chat-store.js';
import type { ChatMessage, Citation } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';

interface Row {
  message_id: string;
  session_id: string;
  procedure_id: string;
  role: ChatMessage['role'];
  text: string;
  by: string | null;
  citations: Citation[] | null;
  source: ChatMessage['source'] | null;
  at: Date;
}

const COLUMNS = 'message_id, session_id, procedure_id, role, text, by, citations, source, at';

const toMessage = (r: Row): StoredChatMessage => ({
  messageId: r.message_id,
  sessionId: r.session_id,
  procedureId: r.procedure_id,
  role: r.role,
  text: r.text,
  at: r.at.toISOString(),
  ...(r.by ? { by: r.by } : {}),
  ...(r.citations ? { citations: r.citations } : {}),
  ...(r.source ? { source: r.source } : {}),
});

/** The review chat's messages in PostgreSQL: sessions asked at the hub by signed-in users. */
export function reviewChatStore(db: Queryable): ChatStore {
  return {
    async procedureOf(sessionId) {
      const { rows } = await db.query<{ procedure_id: string }>(
        'SELECT procedure_id FROM review_chat_messages WHERE session_id = $1 LIMIT 1',
        [sessionId],
      );
      return rows[0]?.procedure_id;
    },
    async history(sessionId) {
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM review_chat_messages WHERE session_id = $1 ORDER BY seq`,
        [sessionId],
      );
      return rows.map(toMessage);
    },
    async record(m) {
      const { rows } = await db.query<Row>(
        `INSERT INTO review_chat_messages (message_id, session_id, procedure_id, role, text, by, citations, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          m.sessionId,
          m.procedureId,
          m.role,
          m.text,
          m.by ?? null,
          m.citations ? JSON.stringify(m.citations) : null,
          m.source ?? null,
        ],
      );
      return toMessage(rows[0]!);
    },
  };
}

/** A procedure's messages: the room's (from its edge, in the order stored there) and the review chat's. */
export async function procedureConversations(
  db: Queryable,
  procedureId: string,
): Promise<{ room: StoredChatMessage[]; review: StoredChatMessage[] }> {
  const [room, review] = await Promise.all([
    db.query<Row>(
      `SELECT message_id, session_id, procedure_id, role, text, by, citations, source, at
         FROM chat_messages WHERE procedure_id = $1 ORDER BY at, role DESC, received_at`,
      [procedureId],
    ),
    db.query<Row>(`SELECT ${COLUMNS} FROM review_chat_messages WHERE procedure_id = $1 ORDER BY seq`, [
      procedureId,
    ]),
  ]);
  return { room: room.rows.map(toMessage), review: review.rows.map(toMessage) };
}

/** A room session's messages (as its edge synced them), for `GET /api/v1/chat/{sessionId}` at the hub. */
export async function roomSession(db: Queryable, sessionId: string): Promise<StoredChatMessage[]> {
  const { rows } = await db.query<Row>(
    `SELECT message_id, session_id, procedure_id, role, text, by, citations, source, at
       FROM chat_messages WHERE session_id = $1 ORDER BY at, role DESC, received_at`,
    [sessionId],
  );
  return rows.map(toMessage);
}
