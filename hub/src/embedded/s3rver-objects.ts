import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporaryBeside } from './s3rver-leftovers.js';

/** An object as s3rver's PUT hands it to its store (3.7). */
interface S3rverObject {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
  content: Buffer | Readable;
}

/** The part of s3rver's FilesystemStore (3.7) that writes objects. */
export interface ObjectWritingStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<unknown>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, string>,
  ): Promise<unknown>;
}

/** A new file beside `path`, renamed over it once `write` has filled it; removed if it fails. */
async function replaceFile(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryBeside(path);
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/**
 * Makes the embedded S3 server replace an object as S3 does, whole: PUT and CopyObject write a new
 * file and rename it over the old one, where s3rver 3.7 rewrote the object's file in place. So a part
 * copied from an object (s3rver-part-copy.ts, which links the file), or a read under way, keeps the
 * bytes it started with, and a PUT cut short leaves the object as it was. (s3rver's PUT of a body
 * held in memory also answered before its bytes were written.)
 */
export function replaceObjectsWhole(store: ObjectWritingStore): void {
  store.putObject = async (object) => {
    const md5 = createHash('md5');
    let size = 0;
    await replaceFile(store.getResourcePath(object.bucket, object.key, 'object'), async (temporary) => {
      if (Buffer.isBuffer(object.content)) {
        md5.update(object.content);
        size = object.content.length;
        await writeFile(temporary, object.content);
        return;
      }
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(object.content, count, createWriteStream(temporary));
    });
    const hex = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, hex);
    return { size, md5: hex };
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const path = (bucket: string, key: string, resource: string) =>
      store.getResourcePath(bucket, key, resource);
    const source = path(srcBucket, srcKey, 'object');
    const target = path(destBucket, destKey, 'object');
    if (source !== target) {
      await replaceFile(target, (temporary) => copyFile(source, temporary));
      await copyFile(path(srcBucket, srcKey, 'object.md5'), path(destBucket, destKey, 'object.md5')).catch(
        (err: NodeJS.ErrnoException) => {
          // s3rver works an object's MD5 out again when its file is missing.
          if (err.code !== 'ENOENT') throw err;
          return rm(path(destBucket, destKey, 'object.md5'), { force: true });
        },
      );
      if (!replacementMetadata)
        await copyFile(path(srcBucket, srcKey, 'metadata.json'), path(destBucket, destKey, 'metadata.json'));
    }
    if (replacementMetadata) await store.putMetadata(destBucket, destKey, replacementMetadata);
    return store.getMetadata(destBucket, destKey);
  };
}
