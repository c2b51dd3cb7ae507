/** A chat message as the box's chat API returns it. */
export interface ChatItem {
  messageId: string;
  sessionId: string;
  role: 'user' | 'assistant';
  text: string;
  by?: string;
  source?: 'timeline' | 'model' | 'unavailable';
  citations?: { tMs: number; at: string | null; label: string; alertId?: string }[];
}

export interface ChatStreamHandlers {
  question(message: ChatItem): void;
  delta(text: string): void;
  answer(message: ChatItem): void;
}

/**
 * Asks the box's chat and reads the answer as it streams (Server-Sent Events over fetch: `question`,
 * `delta`..., `answer` or `error`). Throws with the API's error when the question is refused.
 */
export async function askStreaming(
  body: { sessionId?: string; text: string; by?: string },
  on: ChatStreamHandlers,
): Promise<void> {
  const res = await fetch('/api/v1/chat/message', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
  });
  if (!res.ok || !res.body) {
    const error = ((await res.json().catch(() => ({}))) as { error?: string }).error;
    throw new Error(error ?? String(res.status));
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(
        block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n') || '{}',
      ) as { message?: ChatItem; text?: string; error?: string };
      if (event === 'question' && data.message) on.question(data.message);
      else if (event === 'delta') on.delta(data.text ?? '');
      else if (event === 'answer' && data.message) on.answer(data.message);
      else if (event === 'error') throw new Error(data.error ?? 'the answer failed');
    }
  }
}

/** `m:ss` (or `h:mm:ss`) of a time on the procedure's axis. */
export function axisClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
