import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RangeCopyPool } from './range-copy-pool.js';

describe('RangeCopyPool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-range-copy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies a byte range file to file with its MD5, on its real threads', async () => {
    const source = join(dir, 'source');
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    writeFileSync(source, bytes);
    const pool = new RangeCopyPool(undefined, 2);
    const targets = [0, 1, 2].map((i) => join(dir, `part-${i}`));
    const md5s = await Promise.all(
      targets.map((target, i) =>
        pool.copy({ source, from: i * 1000, to: i * 1000 + 2999, target: { path: target } }),
      ),
    );
    targets.forEach((target, i) => {
      const want = bytes.subarray(i * 1000, i * 1000 + 3000);
      expect(readFileSync(target).equals(want)).toBe(true);
      expect(md5s[i]).toBe(createHash('md5').update(want).digest('hex'));
    });
    // A source shorter than the range: that copy fails with the reason, the pool goes on.
    await expect(
      pool.copy({ source, from: 9000, to: 20_000, target: { path: join(dir, 'short') } }),
    ).rejects.toThrow(/ended at 10000 bytes/);
    await expect(pool.copy({ source, from: 0, to: 9, target: { path: join(dir, 'after') } })).resolves.toBe(
      createHash('md5').update(bytes.subarray(0, 10)).digest('hex'),
    );
  });

  it('hashes a range without writing it, and writes ranges into an existing file at their offsets', async () => {
    const source = join(dir, 'source-2');
    const bytes = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7) % 253));
    writeFileSync(source, bytes);
    const pool = new RangeCopyPool(undefined, 2);
    await expect(pool.copy({ source, from: 10, to: 8009 })).resolves.toBe(
      createHash('md5').update(bytes.subarray(10, 8010)).digest('hex'),
    );
    // Three ranges, written out of order into a file of the right size, md5 not asked for.
    const joined = join(dir, 'joined');
    writeFileSync(joined, Buffer.alloc(6000, 0xee));
    const answers = await Promise.all([
      pool.copy({ source, from: 6000, to: 7999, target: { path: joined, at: 4000 }, md5: false }),
      pool.copy({ source, from: 0, to: 2999, target: { path: joined, at: 0 }, md5: false }),
      pool.copy({ source, from: 100, to: 1099, target: { path: joined, at: 3000 }, md5: false }),
    ]);
    expect(answers).toEqual(['', '', '']);
    const want = Buffer.concat([
      bytes.subarray(0, 3000),
      bytes.subarray(100, 1100),
      bytes.subarray(6000, 8000),
    ]);
    expect(readFileSync(joined).equals(want)).toBe(true);
  });

  it('fails only the copies of a thread that dies or throws, and replaces it', async () => {
    // A stand-in thread: answers after a moment, exits or throws when the request says so.
    const script = join(dir, 'stand-in.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
       parentPort.on('message', (r) => {
         if (r.source === 'exit') process.exit(3);
         if (r.source === 'throw') throw new Error('boom');
         setTimeout(() => parentPort.postMessage({ id: r.id, md5: 'md5-' + r.from }), 100);
       });`,
    );
    const pool = new RangeCopyPool(pathToFileURL(script), 2);
    const ask = (source: string, from: number) => pool.copy({ source, from, to: from });
    // Two threads, turn about: the first copy goes to the one that exits, the second to the other.
    const [dying, healthy] = await Promise.allSettled([ask('exit', 1), ask('ok', 2)]);
    expect(dying.status).toBe('rejected');
    expect((dying as PromiseRejectedResult).reason.message).toMatch(/exited \(code 3\)/);
    expect(healthy).toEqual({ status: 'fulfilled', value: 'md5-2' });
    expect(pool.running).toBe(1);
    // An uncaught error in a thread fails its copy alone, with the error named; a new thread takes
    // the dead one's place on the next copy.
    const [thrown, fine] = await Promise.allSettled([ask('throw', 3), ask('ok', 4)]);
    expect([thrown.status, fine.status].sort()).toEqual(['fulfilled', 'rejected']);
    const failure = [thrown, fine].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason.message).toMatch(/boom/);
    await expect(ask('ok', 5)).resolves.toBe('md5-5');
    expect(pool.running).toBe(2);
  });
});
