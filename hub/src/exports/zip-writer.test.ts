import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { unseenCheck, ZipWriter } from './zip-writer.js';

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

  it('adds a file whose bytes come by other means, and a read of the archive checks them', async () => {
    const chunks: Buffer[] = [];
    const sink = async (c: Buffer) => {
      chunks.push(Buffer.from(c));
    };
    const zip = new ZipWriter(sink);
    await zip.add('first.txt', 'before');
    const video = randomBytes(200_000);
    const sha256 = createHash('sha256').update(video).digest('hex');
    // The bytes reach the sink without passing through the writer (as a copy on the store's server).
    const record = await zip.addUnseen(
      'video/procedure.mp4',
      { bytes: video.length, crc32: crc32(video), sha256 },
      () => sink(video),
    );
    await zip.add('last.json', '{}');
    await zip.finish();
    expect(record).toEqual({ path: 'video/procedure.mp4', bytes: video.length, sha256 });
    const archive = Buffer.concat(chunks);
    const path = join(mkdtempSync(join(tmpdir(), 'gic-zip-')), 'unseen.zip');
    writeFileSync(path, archive);
    // Python checks every CRC and reads the file back at the offsets the writer gave it.
    const script = [
      'import sys, zipfile, hashlib',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print(hashlib.sha256(z.read("video/procedure.mp4")).hexdigest())',
    ].join('\n');
    expect(execFileSync('python3', ['-c', script, path]).toString().trim()).toBe(sha256);

    // Read in odd chunks, the check passes; with one byte of the video changed, it names the file.
    const read = (bytes: Buffer) => {
      const check = unseenCheck(zip.unseen);
      for (let at = 0; at < bytes.length; at += 7_777) check.observe(bytes.subarray(at, at + 7_777), at);
      return check;
    };
    expect(() => read(archive).verify()).not.toThrow();
    const damaged = Buffer.from(archive);
    damaged[zip.unseen[0]!.offset + 150_000]! ^= 1;
    expect(() => read(damaged).verify()).toThrow(
      /video\/procedure\.mp4 read back from the archive with CRC-32/,
    );
    // A byte changed outside it is not its business (the archive's SHA-256 covers the whole).
    const outside = Buffer.from(archive);
    outside[0]! ^= 1;
    expect(() => read(outside).verify()).not.toThrow();
  });

  it('writes ZIP64 records (forced on a small archive) that unzip and Python zipfile accept', async () => {
    const chunks: Buffer[] = [];
    const zip = new ZipWriter(
      async (c) => {
        chunks.push(Buffer.from(c));
      },
      new Date('2026-03-04T05:06:08Z'),
      'always',
    );
    const video = randomBytes(200_000);
    const record = await zip.add('video/procedure.mp4', video);
    await zip.add('manifest.json', '{"files":[]}');
    await zip.finish();
    const archive = Buffer.concat(chunks);
    expect(zip.written).toBe(archive.length);
    // The 64-bit data descriptor after the video: CRC-32, then both sizes as 8 bytes.
    const descriptorAt = 30 + 'video/procedure.mp4'.length + video.length;
    expect(archive.readUInt32LE(descriptorAt)).toBe(0x08074b50);
    expect(archive.readBigUInt64LE(descriptorAt + 8)).toBe(BigInt(video.length));
    expect(archive.readBigUInt64LE(descriptorAt + 16)).toBe(BigInt(video.length));
    // The end: ZIP64 end record (56 bytes), its locator (20) pointing at it, the plain end (22) marked.
    const end = archive.length - 22;
    const locator = end - 20;
    expect(archive.readUInt32LE(end)).toBe(0x06054b50);
    expect(archive.readUInt32LE(end + 16)).toBe(0xffff_ffff);
    expect(archive.readUInt32LE(locator)).toBe(0x07064b50);
    const record64 = Number(archive.readBigUInt64LE(locator + 8));
    expect(record64).toBe(locator - 56);
    expect(archive.readUInt32LE(record64)).toBe(0x06064b50);
    expect(archive.readBigUInt64LE(record64 + 32)).toBe(2n); // entries

    const path = join(mkdtempSync(join(tmpdir(), 'gic-zip64-')), 'a.zip');
    writeFileSync(path, archive);
    // Info-ZIP's unzip tests every entry's CRC; Python's zipfile reads the ZIP64 extra fields.
    expect(execFileSync('unzip', ['-t', path]).toString()).toMatch(/No errors detected/);
    const script = [
      'import sys, zipfile, hashlib, json',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print(json.dumps([[i.filename, i.file_size, i.header_offset, i.extra[:2].hex(), i.extract_version,',
      '  hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))',
    ].join('\n');
    const read = JSON.parse(execFileSync('python3', ['-c', script, path]).toString());
    expect(read).toEqual([
      ['video/procedure.mp4', video.length, 0, '0100', 45, record.sha256],
      ['manifest.json', 12, descriptorAt + 24, '0100', 45, zip.files[1]!.sha256],
    ]);
  });

  it('refuses the same path twice', async () => {
    const zip = new ZipWriter(async () => {});
    await zip.add('a.txt', 'x');
    await expect(zip.add('a.txt', 'y')).rejects.toThrow(/already/);
  });
});
