import { describe, expect, it } from 'vitest';
import { readEvents, type SseEvent, SseParser } from './sse.js';

describe('the event-stream parser', () => {
  it('completes events across chunks, joins data lines and skips comments', () => {
    const p = new SseParser();
    expect(p.push('event: status\ndata: {"a":')).toEqual([]);
    expect(p.push('1}\n\n: keep-alive\n\ndata: one\r\ndata: two\r\n\r\n')).toEqual([
      { event: 'status', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
    ]);
    expect(p.push('event: x\n\n')).toEqual([]); // no data: no event
  });

  it('reads a streamed response until it ends, and stops when aborted', async () => {
    const enc = new TextEncoder();
    const chunks = [
      'event: status\ndata: {"progress":',
      '10}\n\nevent: status\n',
      'data: {"progress":40}\n\n',
    ];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(enc.encode(chunk));
        c.close();
      },
    });
    const got: SseEvent[] = [];
    await readEvents(new Response(body), (e) => got.push(e), new AbortController().signal);
    expect(got.map((e) => JSON.parse(e.data).progress)).toEqual([10, 40]);

    // A stream that never ends stops reading once aborted.
    const endless = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('event: status\ndata: {}\n\n'));
      },
    });
    const abort = new AbortController();
    const seen: SseEvent[] = [];
    const reading = readEvents(
      new Response(endless),
      (e) => {
        seen.push(e);
        abort.abort();
      },
      abort.signal,
    );
    await expect(reading).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
  });
});
