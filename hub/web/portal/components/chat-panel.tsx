import { useEffect, useState } from 'preact/hooks';
import { api, describeError, request, type Session } from '../lib/api.js';
import { clock } from '../lib/format.js';
import { readEvents } from '../lib/sse.js';

/** A chat message as the hub's chat API returns it. */
interface ChatItem {
  messageId: string;
  sessionId: string;
  role: 'user' | 'assistant';
  text: string;
  by?: string;
  source?: 'timeline' | 'model' | 'unavailable';
  citations?: { tMs: number; at: string | null; label: string }[];
}

function Messages({ items, onSeek, id }: { items: ChatItem[]; onSeek: (tMs: number) => void; id: string }) {
  return (
    <ol class="chat-log" id={id}>
      {items.map((m) => (
        <li key={m.messageId} class={`chat-${m.role}`} data-source={m.source}>
          {m.by && <span class="muted">{`${m.by}: `}</span>}
          <span class="chat-text">{m.text}</span>
          {m.citations?.length ? (
            <span class="citations">
              {m.citations.map((c) => (
                <button
                  type="button"
                  class="citation"
                  key={`${c.tMs}-${c.label}`}
                  data-t-ms={String(c.tMs)}
                  title="Jump the video here"
                  onClick={() => onSeek(c.tMs)}
                >
                  {`${clock(Math.round(c.tMs / 1000) * 1000)} ${c.label}`}
                </button>
              ))}
            </span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/**
 * The chat about the whole procedure, for review: the notice always shown, answers streamed, cited
 * times that jump the video; the room's own conversation (as its box synced it) beside it.
 */
export function ChatPanel({
  session,
  id,
  positionMs,
  onSeek,
}: {
  session: Session;
  id: string;
  /** The video's position on the procedure's axis: what "now" means in a question. */
  positionMs: number;
  onSeek: (tMs: number) => void;
}) {
  const [room, setRoom] = useState<ChatItem[]>([]);
  const [review, setReview] = useState<ChatItem[]>([]);
  const [sessionId, setSessionId] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState<{ notice: string; model: string } | null>(null);

  useEffect(() => {
    let live = true;
    api<{ model: { state: string; reason?: string; model?: string }; notice: string }>(
      session,
      '/api/v1/chat/status',
    )
      .then((s) => {
        if (live)
          setStatus({
            notice: s.notice,
            model: s.model.state === 'ready' ? `Model: ${s.model.model}` : `Model off: ${s.model.reason}`,
          });
      })
      .catch(() => {});
    api<{ room: ChatItem[] }>(session, `/api/v1/chat/procedures/${id}`)
      .then((c) => live && setRoom(c.room))
      .catch((err) => live && setError(describeError(err)));
    return () => {
      live = false;
    };
  }, [session, id]);

  const ask = async (e: Event) => {
    e.preventDefault();
    const question = text.trim();
    if (!question || pending !== null) return;
    setError('');
    setPending('');
    try {
      const res = await request(session, '/api/v1/chat/message', {
        method: 'POST',
        headers: { accept: 'text/event-stream' },
        body: JSON.stringify({
          procedureId: id,
          text: question,
          tMs: Math.max(0, Math.round(positionMs)),
          ...(sessionId ? { sessionId } : {}),
        }),
      });
      const abort = new AbortController();
      await readEvents(
        res,
        (ev) => {
          const data = JSON.parse(ev.data) as { message?: ChatItem; text?: string; error?: string };
          if (ev.event === 'question' && data.message) {
            setSessionId(data.message.sessionId);
            setText('');
            setReview((all) => [...all, data.message!]);
          } else if (ev.event === 'delta') setPending((p) => (p ?? '') + (data.text ?? ''));
          else if (ev.event === 'answer' && data.message) setReview((all) => [...all, data.message!]);
          else if (ev.event === 'error') setError(data.error ?? 'the answer failed');
        },
        abort.signal,
      );
    } catch (err) {
      setError(describeError(err));
    } finally {
      setPending(null);
    }
  };

  return (
    <section class="panel chat" id="chat">
      <h3>Ask about this procedure</h3>
      <p class="chat-notice" id="chat-notice" role="note">
        {status?.notice ?? 'Educational assistant: not a diagnosis.'}
      </p>
      {status && (
        <p class="muted" id="chat-model">
          {status.model}
        </p>
      )}
      <div class="chat-columns">
        <div>
          <h4>Review chat</h4>
          <Messages items={review} onSeek={onSeek} id="review-chat" />
          {pending !== null && (
            <p class="chat-assistant streaming" id="chat-pending">
              {pending || '…'}
            </p>
          )}
          <form id="chat-form" onSubmit={ask}>
            <input
              id="chat-input"
              value={text}
              maxLength={8000}
              placeholder="e.g. how long was the withdrawal?"
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
            />
            <button type="submit" disabled={pending !== null}>
              Ask
            </button>
          </form>
        </div>
        <div>
          <h4>In the room</h4>
          {room.length ? (
            <Messages items={room} onSeek={onSeek} id="room-chat" />
          ) : (
            <p class="muted" id="room-chat-empty">
              No questions were asked in the room.
            </p>
          )}
        </div>
      </div>
      {error && (
        <p class="error" role="alert" id="chat-error">
          {error}
        </p>
      )}
    </section>
  );
}
