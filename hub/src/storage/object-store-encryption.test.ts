/**
 * Server-side encryption (S3_SSE): every write that creates an object asks the store to encrypt it.
 * The embedded S3 server ignores the header, so this reads what the S3 client really sends to it (the
 * requests on the wire, after signing), not what a fake would accept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHubConfig } from '../config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { ObjectStore, type ObjectStoreConfig } from './object-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-sse-'));
let s3: EmbeddedS3Handle;

function storeSeeing(sse: ObjectStoreConfig['sse'], seen: Map<string, Record<string, string>>) {
  const store = new ObjectStore({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    ...s3.credentials,
    bucket: 'gic-sse',
    forcePathStyle: true,
    ...(sse ? { sse } : {}),
  });
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      seen.set(String(context.commandName), { ...request.headers });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordHeaders' },
  );
  return store;
}

describe('object store encryption', () => {
  beforeAll(async () => {
    s3 = await startEmbeddedS3(join(dir, 's3'), 0, 'gic-sse');
  });
  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for SSE-S3 or SSE-KMS on every object it creates, and for nothing when not configured', async () => {
    for (const sse of [
      { mode: 'AES256' as const },
      { mode: 'aws:kms' as const, kmsKeyId: 'alias/gic' },
      undefined,
    ]) {
      const seen = new Map<string, Record<string, string>>();
      const store = storeSeeing(sse, seen);
      await store.put('a/frame.jpg', 'jpeg bytes', 'image/jpeg');
      const uploadId = await store.startMultipart('a/video.mp4', 'video/mp4');
      expect(uploadId).toBeTruthy();
      for (const command of ['PutObjectCommand', 'CreateMultipartUploadCommand']) {
        const headers = seen.get(command)!;
        expect(headers, command).toBeDefined();
        expect(headers['x-amz-server-side-encryption'], command).toBe(sse?.mode);
        expect(headers['x-amz-server-side-encryption-aws-kms-key-id'], command).toBe(
          sse && 'kmsKeyId' in sse ? sse.kmsKeyId : undefined,
        );
      }
    }
  });

  it('refuses S3_SSE with the embedded store, which would not encrypt', () => {
    expect(() => loadHubConfig({ S3_SSE: 'AES256' })).toThrow(/embedded S3 server does not encrypt/);
    expect(() => loadHubConfig({ S3_ENDPOINT: 'https://s3.example', S3_SSE_KMS_KEY_ID: 'k' })).toThrow(
      /needs S3_SSE=aws:kms/,
    );
    const config = loadHubConfig({ S3_ENDPOINT: 'https://s3.example', S3_SSE: 'aws:kms' });
    expect(config.s3.sse).toEqual({ mode: 'aws:kms' });
  });
});
