import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

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
});
