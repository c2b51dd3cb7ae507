import { link, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rangeCopies } from './range-copy-pool.js';
import { temporaryBeside } from './s3rver-leftovers.js';
import type { FilesystemStore } from './s3rver-multipart.js';

/**
 * A part copied from an object keeps its bytes where they are: `<n>.source`, a hard link to the
 * object's file as it was when copied, and `<n>.range`, `first-last`; the completion copies the range
 * into the object (s3rver-multipart.ts). A part sent over HTTP is the file `<n>`. Either kind
 * replaces the other under the same number.
 */
export const copiedPartFiles = (partPath: string) => ({
  source: `${partPath}.source`,
  range: `${partPath}.range`,
});

/** The parts of a koa context the handler reads and sets. */
interface PartCopyContext {
  method: string;
  params: { bucket: string; key: string };
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  store: FilesystemStore;
  body: unknown;
}

/** A layer of @koa/router (9.x): what is moved in its stack. */
interface RouterLayer {
  methods: string[];
  path: string;
}
interface Router {
  stack: RouterLayer[];
  put(path: string, handler: (ctx: PartCopyContext, next: () => Promise<unknown>) => unknown): Router;
}
type S3ErrorClass = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Gives the embedded S3 server (s3rver 3.7, which answers NotImplemented) S3's UploadPartCopy: a
 * part of a multipart upload copied from a byte range of an object already stored
 * (`x-amz-copy-source`, `x-amz-copy-source-range: bytes=first-last`), so that an export puts a
 * procedure's video into its ZIP without the bytes travelling through the hub. The range is MD5-hashed
 * (in a pool of threads) for the part's ETag, as a part that arrived over HTTP is, and stays in the
 * object's file, linked (see copiedPartFiles), until the completion copies it into the new object:
 * its bytes are written once, not twice. The answer is S3's
 * `CopyPartResult`. Requests are signed and checked as every other: the handler sits in s3rver's
 * router after its authentication, just before its own PUT route.
 */
export function supportPartCopy(): void {
  const require = createRequire(import.meta.url);
  const router = require('s3rver/lib/routes.js') as Router;
  const S3Error = require('s3rver/lib/models/error.js') as S3ErrorClass;
  const original = router.stack.findIndex((l) => l.path === '/:bucket/:key+' && l.methods.includes('PUT'));
  if (original < 0)
    throw new Error("s3rver's router has no object PUT route: its version is not the one expected");
  router.put('/:bucket/:key+', async (ctx, next) => {
    const copySource = first(ctx.headers['x-amz-copy-source']);
    if (!copySource || first(ctx.query.uploadId) === undefined) return next();
    const { etag, lastModified } = await copyPart(ctx, copySource, S3Error);
    ctx.body = {
      CopyPartResult: { LastModified: lastModified.toISOString(), ETag: JSON.stringify(etag) },
    };
  });
  const added = router.stack.pop()!;
  router.stack.splice(original, 0, added);
}

async function copyPart(ctx: PartCopyContext, copySource: string, S3Error: S3ErrorClass) {
  const uploadId = first(ctx.query.uploadId)!;
  const partNumber = Number(first(ctx.query.partNumber));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
      ArgumentName: 'partNumber',
      ArgumentValue: first(ctx.query.partNumber),
    });
  const source = decodeURIComponent(copySource.split('?')[0]!).replace(/^\//, '');
  const slash = source.indexOf('/');
  const [srcBucket, srcKey] = slash > 0 ? [source.slice(0, slash), source.slice(slash + 1)] : [source, ''];
  const { store } = ctx;
  const uploadDir = join(store.getResourcePath(ctx.params.bucket, undefined, 'uploads'), uploadId);
  if (!(await stat(uploadDir).catch(() => undefined)))
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  const objectPath = store.getResourcePath(srcBucket, srcKey, 'object');
  const partPath = join(uploadDir, String(partNumber));
  const files = copiedPartFiles(partPath);
  // A link to the object's file as it is now: objects are replaced by new files (s3rver-objects.ts),
  // so the part keeps these bytes whatever happens to the key before the upload completes. It takes
  // the part's place only once the copy has succeeded.
  const linked = await linkBeside(objectPath, files.source);
  if (linked === 'missing')
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: srcKey });
  try {
    const bytesFrom = linked === 'unsupported' ? objectPath : linked;
    const size = (await stat(bytesFrom).catch(() => undefined))?.size;
    if (size === undefined)
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: srcKey });

    const rangeHeader = first(ctx.headers['x-amz-copy-source-range']);
    let from = 0;
    let to = size - 1;
    if (rangeHeader !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= size)
        throw new S3Error(
          'InvalidArgument',
          `The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy, within the object's ${size} bytes`,
          { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeHeader },
        );
      from = Number(m[1]);
      to = Number(m[2]);
    }

    let etag: string;
    if (linked !== 'unsupported') {
      // Only hashed here (its ETag); its bytes are copied once, by the completion.
      etag = await rangeCopies.copy({ source: linked, from, to });
      await rename(linked, files.source);
      await writeFile(files.range, `${from}-${to}`);
      await rm(partPath, { force: true });
    } else {
      // No link on this file system: the range is copied into the part's file now.
      etag = await rangeCopies.copy({ source: objectPath, from, to, target: { path: partPath } });
      await Promise.all([rm(files.range, { force: true }), rm(files.source, { force: true })]);
    }
    await writeFile(`${partPath}.md5`, etag);
    return { etag, lastModified: new Date() };
  } finally {
    // A copy refused or failed leaves the part as it was.
    if (linked !== 'unsupported') await rm(linked, { force: true });
  }
}

/**
 * Hard-links `file` beside `target`, under a name of its own: its path; 'missing' when there is no
 * such file; 'unsupported' when this file system cannot link it there (the caller copies instead).
 */
async function linkBeside(file: string, target: string): Promise<string | 'missing' | 'unsupported'> {
  // A temporary file as the server's others, so that one a crash leaves is removed at the next start.
  const temporary = temporaryBeside(target);
  try {
    await link(file, temporary);
    return temporary;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unsupported';
  }
}

/** The part of s3rver's FilesystemStore (3.7) that stores a part sent over HTTP. */
export interface PartStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putPart(bucket: string, uploadId: string, partNumber: number, content: unknown): Promise<unknown>;
}

/** A part sent over HTTP replaces one copied earlier under the same number. */
export function sentPartsReplaceCopies(store: PartStore): void {
  const original = store.putPart.bind(store);
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const files = copiedPartFiles(partPath);
    await Promise.all([rm(files.range, { force: true }), rm(files.source, { force: true })]);
    return original(bucket, uploadId, partNumber, content);
  };
}
