import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type ObjectWritingStore, replaceObjectsWhole } from './s3rver-objects.js';

type Store = ObjectWritingStore & { getObject(bucket: string, key: string): Promise<unknown> };
const FilesystemStore = createRequire(import.meta.url)('s3rver/lib/stores/filesystem.js') as new (
  dir: string,
) => Store;

/** s3rver's own store on a folder, with our replacement of its writes. */
function store(dir: string): Store {
  mkdirSync(join(dir, 'b'), { recursive: true });
  const s = new FilesystemStore(dir);
  replaceObjectsWhole(s);
  return s;
}
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const objectFile = (s: Store, key: string) => s.getResourcePath('b', key, 'object');
const put = (s: Store, key: string, content: Buffer | Readable) =>
  s.putObject({ bucket: 'b', key, metadata: { 'content-type': 'video/mp4' }, content });
/** Every byte a file handle opened now reads, whatever happens to the path afterwards. */
const opened = (path: string) => {
  const fd = openSync(path, 'r');
  return (length: number) => {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, 0);
    return b;
  };
};

describe("the embedded S3 server's store replaces an object whole", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-s3-objects-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a PUT to a new file: what held the old one keeps its bytes, the MD5 is the new bytes', async () => {
    const s = store(join(dir, 'put'));
    const before = randomBytes(3000);
    await expect(put(s, 'a/video.mp4', before)).resolves.toMatchObject({ size: 3000 });
    const held = opened(objectFile(s, 'a/video.mp4'));
    const after = randomBytes(5000);
    const answer = await put(
      s,
      'a/video.mp4',
      Readable.from([after.subarray(0, 1000), after.subarray(1000)]),
    );
    expect(answer.size).toBe(5000);
    expect(readFileSync(objectFile(s, 'a/video.mp4')).equals(after)).toBe(true);
    expect(held(3000).equals(before)).toBe(true);
    expect(readdirSync(join(dir, 'put', 'b', 'a')).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('leaves the object as it was, and no file behind, when a PUT body fails part way', async () => {
    const s = store(join(dir, 'cut'));
    const before = randomBytes(2000);
    await put(s, 'video.mp4', before);
    const cut = new Readable({
      read() {
        this.push(randomBytes(1000));
        this.destroy(new Error('the client went away'));
      },
    });
    await expect(put(s, 'video.mp4', cut)).rejects.toThrow(/went away/);
    expect(readFileSync(objectFile(s, 'video.mp4')).equals(before)).toBe(true);
    expect(readdirSync(join(dir, 'cut', 'b')).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('copies an object over another into a new file, with its MD5 and metadata', async () => {
    const s = store(join(dir, 'copy'));
    const source = randomBytes(4000);
    const target = randomBytes(1000);
    await put(s, 'source.mp4', source);
    await put(s, 'target.mp4', target);
    const held = opened(objectFile(s, 'target.mp4'));
    await s.copyObject('b', 'source.mp4', 'b', 'target.mp4');
    expect(readFileSync(objectFile(s, 'target.mp4')).equals(source)).toBe(true);
    expect(held(1000).equals(target)).toBe(true);
    const { 'last-modified': _, ...copied } = (await s.getMetadata('b', 'target.mp4')) as Record<
      string,
      unknown
    >;
    expect(copied).toEqual({
      'content-type': 'video/mp4',
      etag: JSON.stringify(md5(source)),
      'content-length': 4000,
    });
    // With new metadata: the bytes copied, the metadata given.
    await s.copyObject('b', 'source.mp4', 'b', 'renamed.mp4', { 'content-type': 'application/zip' });
    expect(readFileSync(objectFile(s, 'renamed.mp4')).equals(source)).toBe(true);
    expect(await s.getMetadata('b', 'renamed.mp4')).toMatchObject({ 'content-type': 'application/zip' });
  });
});
