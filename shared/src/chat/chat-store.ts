import type { ChatMessage } from '../messages/events.js';

/** A chat message as a store keeps it: the event's body and the procedure it is about. */
export type StoredChatMessage = ChatMessage & { procedureId: string };
/** What the chat asks a store to keep; the store gives it its id and time. */
export type NewChatMessage = Omit<StoredChatMessage, 'messageId' | 'at'>;

/**
 * Where the chat keeps its messages: SQLite with the outbox on the edge (edge/src/chat/), PostgreSQL
 * at the hub (hub/src/chat/). A session is about one procedure, the one of its first message.
 */
export interface ChatStore {
  /** The procedure a session is about; undefined for a session with no message yet. */
  procedureOf(sessionId: string): Promise<string | undefined>;
  /** A session's messages in the order they were stored; empty for an unknown session. */
  history(sessionId: string): Promise<StoredChatMessage[]>;
  record(message: NewChatMessage): Promise<StoredChatMessage>;
}
