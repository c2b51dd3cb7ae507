import { useEffect, useRef, useState } from 'preact/hooks';
import { askStreaming, axisClock, type ChatItem } from '../chat-stream.js';

type Citation = NonNullable<ChatItem['citations']>[number];

/**
 * The educational chat about the procedure on the screen: the not-a-diagnosis notice always shown,
 * answers streamed as they come, and cited times that open the frame there (an alert's picture).
 */
export function ChatPanel({
  procedureId,
  operator,
}: {
  procedureId: string | null;
  operator: string | null;
}) {
  const [sessionId, setSessionId] = useState<string | undefined>(undefined);
  const [items, setItems] = useState<ChatItem[]>([]);
  const [pending, setPending] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [model, setModel] = useState('');
  const [notice, setNotice] = useState('Educational assistant: not a diagnosis.');
  const [opened, setOpened] = useState<Citation | null>(null);
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => {
    fetch('/api/v1/chat/status')
      .then((r) => r.json())
      .then((s: { model: { state: string; reason?: string; model?: string }; notice: string }) => {
        setNotice(s.notice);
        setModel(s.model.state === 'ready' ? `Model: ${s.model.model}` : `Model off: ${s.model.reason}`);
      })
      .catch(() => {});
  }, []);
  // A new procedure on the screen starts a new conversation.
  useEffect(() => {
    setSessionId(undefined);
    setItems([]);
    setOpened(null);
  }, [procedureId]);
  useEffect(() => log.current?.lastElementChild?.scrollIntoView({ block: 'end' }), [items, pending]);

  const ask = async (e: Event) => {
    e.preventDefault();
    const question = text.trim();
    if (!question || pending !== null) return;
    setError('');
    setPending('');
    try {
      await askStreaming(
        { ...(sessionId ? { sessionId } : {}), text: question, ...(operator ? { by: operator } : {}) },
        {
          question: (m) => {
            setSessionId(m.sessionId);
            setText('');
            setItems((all) => [...all, m]);
          },
          delta: (piece) => setPending((p) => (p ?? '') + piece),
          answer: (m) => {
            setItems((all) => [...all, m]);
          },
        },
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(null);
    }
  };

  return (
    <section class="panel chat" id="chat">
      <div class="label">Ask the copilot</div>
      <p id="chat-notice" class="chat-notice" role="note">
        {notice}
      </p>
      <p id="chat-model" class="label">
        {model}
      </p>
      <ol id="chat-log" ref={log} aria-live="polite">
        {items.map((m) => (
          <li key={m.messageId} class={`chat-${m.role}`} data-source={m.source}>
            <span class="chat-text">{m.text}</span>
            {m.citations?.length ? (
              <span class="citations">
                {m.citations.map((c) => (
                  <button
                    type="button"
                    class="citation"
                    key={`${c.tMs}-${c.label}`}
                    data-t-ms={String(c.tMs)}
                    onClick={() => setOpened(c)}
                  >
                    {`${axisClock(c.tMs)} ${c.label}`}
                  </button>
                ))}
              </span>
            ) : null}
          </li>
        ))}
        {pending !== null && (
          <li class="chat-assistant streaming" id="chat-pending">
            <span class="chat-text">{pending || '…'}</span>
          </li>
        )}
      </ol>
      {opened && (
        <figure id="chat-frame" class="chat-frame">
          {opened.alertId ? (
            <img
              alt={`frame at ${axisClock(opened.tMs)}`}
              src={`/api/v1/alerts/${opened.alertId}/thumbnail.jpg`}
            />
          ) : (
            <p class="muted">
              This box keeps pictures of alerts only; the hub's review page plays the video at this time.
            </p>
          )}
          <figcaption>
            {`${axisClock(opened.tMs)} into the procedure${opened.at ? ` (${new Date(opened.at).toLocaleTimeString()})` : ''}: ${opened.label}`}
          </figcaption>
          <button type="button" onClick={() => setOpened(null)}>
            Close
          </button>
        </figure>
      )}
      {error && (
        <p class="bad" role="alert" id="chat-error">
          {error}
        </p>
      )}
      <form id="chat-form" onSubmit={ask}>
        <input
          id="chat-input"
          value={text}
          maxLength={8000}
          placeholder={procedureId ? 'e.g. how many polyps so far?' : 'No procedure yet'}
          disabled={!procedureId}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!procedureId || pending !== null}>
          Ask
        </button>
      </form>
    </section>
  );
}
