import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZipWriter } from './zip-writer.js';

describe('streaming ZIP writer', () => {
  it('writes an archive that Python zipfile reads back whole, with CRCs that check', async () => {
    const chunks: Buffer[] = [];
    const zip = new ZipWriter(async (c) => {
      chunks.push(Buffer.from(c));
    });
    const big = randomBytes(300_000);
    async function* pieces() {
      for (let i = 0; i < big.length; i += 65_536) yield big.subarray(i, i + 65_536);
    }
    const record = await zip.add('video/procedure.mp4', pieces());
    await zip.add('summary/summary.md', '# Summary\nnon-ASCII: é ü\n');
    await zip.add('empty.txt', '');
    await zip.finish();
    expect(record).toEqual({
      path: 'video/procedure.mp4',
      bytes: big.length,
      sha256: createHash('sha256').update(big).digest('hex'),
    });
    const path = join(mkdtempSync(join(tmpdir(), 'gic-zip-')), 'a.zip');
    writeFileSync(path, Buffer.concat(chunks));
    const script = [
      'import sys, zipfile, hashlib, json',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
    ].join('\n');
    const read = JSON.parse(execFileSync('python3', ['-c', script, path]).toString()) as Record<
      string,
      string
    >;
    expect(Object.keys(read)).toEqual(['video/procedure.mp4', 'summary/summary.md', 'empty.txt']);
    expect(read['video/procedure.mp4']).toBe(record.sha256);
    expect(zip.files.map((f) => f.path)).toEqual(Object.keys(read));
  });

  it('refuses the same path twice', async () => {
    const zip = new ZipWriter(async () => {});
    await zip.add('a.txt', 'x');
    await expect(zip.add('a.txt', 'y')).rejects.toThrow(/already/);
  });
});
