/**
 * The contract every VlmEngine keeps, run against each backend (the tiny ONNX model, the
 * OpenAI-compatible client, the scripted engine): streaming, the end reasons, soft cancel, the
 * bounded queue, and a turn given back when a consumer leaves early.
 */
import {
  VlmBusyError,
  type VlmChunk,
  type VlmDone,
  type VlmEngine,
  type VlmRequest,
} from '@gic/shared/vlm/vlm-engine.js';
import { expect, test } from 'vitest';

/** What a backend's test gives the contract. */
export interface VlmContractSubject {
  /** A ready engine with a queue of at most one waiting request. */
  engine: () => VlmEngine;
  /** The full answer it gives to `question`, and more than 3 tokens long. */
  answer: string;
}

export const CONTRACT_QUESTION = 'What do you see?';

/** Reads a stream to its end: the chunks and the VlmDone. */
export async function drain(
  stream: AsyncGenerator<VlmChunk, VlmDone, void>,
): Promise<{ text: string; chunks: number; done: VlmDone }> {
  let text = '';
  let chunks = 0;
  for (;;) {
    const r = await stream.next();
    if (r.done) return { text, chunks, done: r.value };
    text += r.value.text;
    chunks++;
  }
}

const ask = (extra: Partial<VlmRequest> = {}): VlmRequest => ({
  messages: [
    { role: 'system', content: 'You are a careful assistant.' },
    { role: 'user', content: CONTRACT_QUESTION },
  ],
  ...extra,
});

/** Registers the contract's tests for `subject` (call inside a describe). */
export function vlmContract(subject: VlmContractSubject): void {
  test('contract: streams the whole answer in several chunks and ends with stop', async () => {
    const engine = subject.engine();
    expect(engine.status().state).toBe('ready');
    const { text, chunks, done } = await drain(engine.generate(ask()));
    expect(text.trim()).toBe(subject.answer);
    expect(chunks).toBeGreaterThan(1);
    expect(done.reason).toBe('stop');
    expect(done.tokens).toBeGreaterThanOrEqual(chunks);
    expect(done.firstTokenMs).not.toBeNull();
    expect(done.firstTokenMs!).toBeLessThanOrEqual(done.totalMs);
  });

  test('contract: maxNewTokens ends the answer early with length', async () => {
    const { text, done } = await drain(subject.engine().generate(ask({ maxNewTokens: 2 })));
    expect(done.reason).toBe('length');
    expect(done.tokens).toBe(2);
    expect(subject.answer.startsWith(text.trim())).toBe(true);
    expect(text.trim().length).toBeLessThan(subject.answer.length);
  });

  test('contract: a soft cancel after the first chunk ends the stream with cancelled', async () => {
    const ac = new AbortController();
    const stream = subject.engine().generate(ask({ signal: ac.signal }));
    const first = await stream.next();
    expect(first.done).toBe(false);
    ac.abort();
    const rest = await drain(stream);
    expect(rest.done.reason).toBe('cancelled');
    const text = (first.done ? '' : first.value.text) + rest.text;
    expect(subject.answer.startsWith(text.trim())).toBe(true);
    expect(text.trim().length).toBeLessThan(subject.answer.length);
  });

  test('contract: an already-aborted request ends cancelled without an answer', async () => {
    const ac = new AbortController();
    ac.abort();
    const { text, done } = await drain(subject.engine().generate(ask({ signal: ac.signal })));
    expect(done.reason).toBe('cancelled');
    expect(text).toBe('');
  });

  test('contract: the queue is bounded (VlmBusyError), and a consumer that leaves gives its turn back', async () => {
    const engine = subject.engine();
    const a = engine.generate(ask());
    const b = engine.generate(ask());
    const c = engine.generate(ask());
    const pa = a.next();
    const pb = b.next();
    const pc = c.next();
    await expect(pc).rejects.toBeInstanceOf(VlmBusyError);
    const first = await pa;
    expect(first.done).toBe(false);
    // The first consumer leaves after one chunk; the waiting one then gets the whole answer.
    await a.return(undefined as never);
    const second = await pb;
    expect(second.done).toBe(false);
    const rest = await drain(b);
    expect(((second.value as VlmChunk).text + rest.text).trim()).toBe(subject.answer);
    expect(rest.done.reason).toBe('stop');
    // And the engine still answers afterwards.
    expect((await drain(engine.generate(ask()))).text.trim()).toBe(subject.answer);
  });
}
