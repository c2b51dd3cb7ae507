import { describe, expect, it } from 'vitest';
import { ObjectStore } from './object-store.js';

const base = {
  endpoint: 'http://minio:9000',
  region: 'us-east-1',
  accessKeyId: 'key',
  secretAccessKey: 'secret',
  bucket: 'gic-recordings',
  forcePathStyle: true,
};

describe('ObjectStore.presignPart', () => {
  it('signs part URLs for the address devices use, carrying a signature and no secret', async () => {
    const store = new ObjectStore({ ...base, publicEndpoint: 'https://s3.hospital.example' });
    const url = new URL(await store.presignPart('recordings/a.mp4', 'upload-1', 3, 600));
    expect(url.origin).toBe('https://s3.hospital.example');
    expect(url.pathname).toBe('/gic-recordings/recordings/a.mp4');
    expect(url.searchParams.get('partNumber')).toBe('3');
    expect(url.searchParams.get('uploadId')).toBe('upload-1');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.toString()).not.toContain('secret');
    // No checksum of an empty body (the SDK's default), which a server that checks it would refuse.
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().includes('checksum'))).toEqual([]);
    store.close();
  });

  it('uses the hub’s own endpoint when no public one is set', async () => {
    const store = new ObjectStore(base);
    expect(new URL(await store.presignPart('k', 'u', 1)).origin).toBe('http://minio:9000');
    store.close();
  });
});
