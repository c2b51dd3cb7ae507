import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeError, StartError, startPart } from './start-error.js';

describe('startPart', () => {
  it('passes a started part through', async () => {
    expect(await startPart('x', 'do y', () => 42)).toBe(42);
  });

  it('turns a failure into one line: what, why (the system error in words), what to do', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    const port = (held.address() as { port: number }).port;
    const err = await startPart(
      'the thing',
      (e) => `free it (${(e as NodeJS.ErrnoException).code})`,
      () =>
        new Promise<void>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(port, '127.0.0.1', () => resolve());
        }),
    ).catch((e) => e);
    held.close();
    expect(err).toBeInstanceOf(StartError);
    expect(err.message).toBe(
      `could not start the thing: 127.0.0.1:${port} is already in use; free it (EADDRINUSE)`,
    );
    expect(err.message).not.toContain('\n');
    expect(err.cause.code).toBe('EADDRINUSE');
  });

  it('keeps a StartError from deeper down as it is', async () => {
    const inner = new StartError('inner part', 'broken', 'mend it');
    expect(await startPart('outer', 'other', () => Promise.reject(inner)).catch((e) => e)).toBe(inner);
  });
});

describe('describeError', () => {
  it('says common system errors in words, and others by their first line', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 5432,
    });
    expect(describeError(refused)).toBe('nothing answers at 127.0.0.1:5432');
    expect(describeError(new AggregateError([refused], ''))).toBe('nothing answers at 127.0.0.1:5432');
    expect(describeError(new Error('first line\n    at somewhere'))).toBe('first line');
    expect(describeError('a string')).toBe('a string');
  });
});
