import { CHAT_TEXT_MAX, type ChatMessage, type Citation } from '../messages/events.js';
import {
  VlmBusyError,
  type VlmEngine,
  type VlmStatus,
  VlmTimeoutError,
  VlmUnavailableError,
} from '../vlm/vlm-engine.js';
import { buildChatMessages, type CurrentFrame, citationsIn, neutralise } from './chat-prompt.js';
import type { ChatStore, StoredChatMessage } from './chat-store.js';
import type { ProcedureFacts } from './procedure-facts.js';
import { SummaryCache } from './procedure-summary.js';
import { answerFromTimeline } from './temporal-answers.js';

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

/** Thrown when the procedure a question is about is not known here. */
export class ChatProcedureUnknown extends Error {
  constructor(readonly procedureId: string) {
    super(`no procedure ${procedureId}`);
    this.name = 'ChatProcedureUnknown';
  }
}

export interface ChatServiceDeps {
  store: ChatStore;
  /** The procedure's facts from this process's store; undefined for an unknown procedure. */
  facts: (procedureId: string) => Promise<ProcedureFacts | undefined>;
  vlm: VlmEngine;
  /** The screen's current frame (the room); absent where there is no live picture (the hub). */
  currentFrame?: (procedureId: string) => Promise<ScreenFrame | undefined>;
  /**
   * The recording's picture at `tMs` on the procedure's axis (the hub's video position), for a
   * question with a time; undefined (or a failure) where there is none: the answer comes without it.
   */
  frameAt?: (procedureId: string, tMs: number) => Promise<Omit<CurrentFrame, 'tMs'> | undefined>;
  /**
   * Makes a model's answer safe to store and sync, given the lines read off the screen that the
   * model was not given (the room: answer-guard.ts). The streamed pieces stay as the model wrote
   * them; the stored answer, which the final `answer` event carries, is the guarded one.
   */
  guard?: (answer: string, withheld: readonly string[]) => string;
  /** Clock times are written in this zone (default: the process's). */
  timeZone?: string;
  /** Hard limit on one answer's generation (ms). */
  timeoutMs?: number;
  maxNewTokens?: number;
}

/** The screen's current frame, and the lines read on it that were withheld from the model (identifiers). */
export type ScreenFrame = Omit<CurrentFrame, 'tMs'> & { withheld?: string[] };

export interface ChatQuestion {
  sessionId: string;
  procedureId: string;
  text: string;
  by?: string;
  /** The point on the procedure's axis the question is about (the hub's video position); default: its end. */
  tMs?: number;
}

/** What ask() streams: the stored question, pieces of the answer as they come, then the stored answer. */
export type ChatEvent =
  | { type: 'question'; message: StoredChatMessage }
  | { type: 'delta'; text: string }
  | { type: 'answer'; message: StoredChatMessage };

/** Hard limit on one answer (ms): the seed's bar is 2 s at p99 on a GPU; a CPU box is far slower. */
const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The procedure-aware chat, the same in the room and at the hub over each one's store. Questions
 * about times, counts and landmarks are answered from the procedure's own timeline with citations,
 * model or not; the rest go to the VLM with the procedure's context, or are answered with the reason
 * no model can take them. Every question and answer is stored.
 */
export class ChatService {
  private readonly summaries = new SummaryCache();

  constructor(private readonly deps: ChatServiceDeps) {}

  status(): VlmStatus {
    return this.deps.vlm.status();
  }

  /** The procedure a session is about; undefined for a new session. */
  procedureOf(sessionId: string): Promise<string | undefined> {
    return this.deps.store.procedureOf(sessionId);
  }

  history(sessionId: string): Promise<StoredChatMessage[]> {
    return this.deps.store.history(sessionId);
  }

  /** Stores the question, streams the answer and stores it (with its citations). */
  async *ask(q: ChatQuestion, signal?: AbortSignal): AsyncGenerator<ChatEvent, void, void> {
    const { store } = this.deps;
    const owner = await store.procedureOf(q.sessionId);
    if (owner && owner !== q.procedureId) throw new ChatSessionConflict(q.sessionId, owner);
    const facts = await this.deps.facts(q.procedureId);
    if (!facts) throw new ChatProcedureUnknown(q.procedureId);
    const history = await store.history(q.sessionId);
    const base = { sessionId: q.sessionId, procedureId: q.procedureId };
    const question = await store.record({
      ...base,
      role: 'user',
      text: q.text,
      ...(q.by ? { by: q.by } : {}),
    });
    yield { type: 'question', message: question };

    const nowMs = q.tMs ?? facts.durationMs;
    const { timeZone } = this.deps;
    const fromTimeline = answerFromTimeline({ question: q.text, facts, nowMs, timeZone });
    let answer: { text: string; citations: Citation[]; source: NonNullable<ChatMessage['source']> };
    if (fromTimeline) {
      yield { type: 'delta', text: fromTimeline.text };
      answer = { ...fromTimeline, source: 'timeline' };
    } else {
      const reply = yield* this.fromModel(q, facts, history, nowMs, signal);
      answer = reply;
    }
    const message = await store.record({
      ...base,
      role: 'assistant',
      text: answer.text.slice(0, CHAT_TEXT_MAX),
      citations: answer.citations,
      source: answer.source,
    });
    yield { type: 'answer', message };
  }

  private async *fromModel(
    q: ChatQuestion,
    facts: ProcedureFacts,
    history: StoredChatMessage[],
    nowMs: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ChatEvent, { text: string; citations: Citation[]; source: 'model' | 'unavailable' }> {
    const status = this.deps.vlm.status();
    if (status.state === 'off') {
      const text = unavailable(status.reason);
      yield { type: 'delta', text };
      return { text, citations: [], source: 'unavailable' };
    }
    // The room's screen shows the latest frame; a question with a time (the hub's video) is about
    // the recording's picture at that time.
    const screen =
      q.tMs === undefined
        ? await this.deps.currentFrame?.(q.procedureId)
        : await this.deps.frameAt?.(q.procedureId, q.tMs).catch(() => undefined);
    const { withheld = [], ...shown } = (screen ?? {}) as ScreenFrame;
    const frame: CurrentFrame = { tMs: nowMs, ...shown };
    const guard = (text: string) => (this.deps.guard ? this.deps.guard(text, withheld) : text);
    const messages = buildChatMessages({
      facts,
      summary: this.summaries.get(facts),
      history,
      question: q.text,
      frame,
      nowMs,
    });
    let text = '';
    try {
      const stream = this.deps.vlm.generate({
        messages,
        maxNewTokens: this.deps.maxNewTokens ?? 256,
        timeoutMs: this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      });
      for (;;) {
        const next = await stream.next();
        if (next.done) {
          if (next.value.reason === 'cancelled') text += ' (stopped)';
          break;
        }
        const piece = neutralise(next.value.text, CHAT_TEXT_MAX);
        text += piece;
        yield { type: 'delta', text: piece };
      }
    } catch (err) {
      const why =
        err instanceof VlmBusyError
          ? 'The model is busy with other questions; please ask again in a moment.'
          : err instanceof VlmTimeoutError
            ? 'The model took too long to answer and was stopped.'
            : err instanceof VlmUnavailableError
              ? unavailable(err.message)
              : `The model failed: ${(err as Error).message}`;
      const note = text ? `\n\n(${why})` : why;
      yield { type: 'delta', text: note };
      return {
        text: guard(text + note),
        citations: citationsIn(text, facts),
        source: text ? 'model' : 'unavailable',
      };
    }
    const clean = guard(neutralise(text.trim(), CHAT_TEXT_MAX)) || 'The model gave no answer.';
    return { text: clean, citations: citationsIn(clean, facts), source: 'model' };
  }
}

/** The answer to a free-form question when no model runs: what can be asked, and why no more. */
export function unavailable(reason: string): string {
  return `This question needs the vision-language model, and none is installed here (${reason}). Ask your administrator to install it. Until then I can answer from the procedure's timeline: for example "what did we see 4 minutes ago", "at 12:30", "how many polyps so far", "how long was the withdrawal" or "when was the cecum reached".`;
}
