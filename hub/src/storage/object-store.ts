import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface ObjectStoreConfig {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  forcePathStyle: boolean;
  /** The endpoint devices reach for presigned URLs, when it differs from the hub's own. */
  publicEndpoint?: string;
  /**
   * Server-side encryption of every object the hub writes (S3_SSE): SSE-S3 (`AES256`) or SSE-KMS
   * (`aws:kms`, with the key's id or the store's default key). Set where the uploads start, so the
   * parts devices PUT by presigned URL are encrypted too. Absent: the store's default.
   */
  sse?: { mode: 'AES256' | 'aws:kms'; kmsKeyId?: string };
}

/** The hub's view of S3: multipart uploads by presigned URL, reads, and a health check. */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** Signs URLs for devices; only signs, so it never connects anywhere itself. */
  private readonly signer: S3Client;

  /** The encryption parameters of every write (empty: the store's default). */
  private readonly encryption: { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string };

  constructor(config: ObjectStoreConfig) {
    this.bucket = config.bucket;
    this.encryption = config.sse
      ? {
          ServerSideEncryption: config.sse.mode,
          ...(config.sse.kmsKeyId ? { SSEKMSKeyId: config.sse.kmsKeyId } : {}),
        }
      : {};
    const client = (endpoint: string) =>
      new S3Client({
        endpoint,
        region: config.region,
        forcePathStyle: config.forcePathStyle,
        credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
        maxAttempts: 3,
        // No SDK checksums unless an operation requires one: the hub verifies SHA-256 itself, and a
        // presigned part URL would otherwise carry the CRC-32 of an empty body (AAAAAA==), which a
        // server that checks it (S3) refuses for the device's real part.
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
    this.client = client(config.endpoint);
    this.signer = config.publicEndpoint ? client(config.publicEndpoint) : this.client;
  }

  /** Creates the bucket when it is missing (a fresh MinIO, say). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async check(): Promise<Record<string, unknown>> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    return { bucket: this.bucket };
  }

  async startMultipart(key: string, contentType: string): Promise<string> {
    const out = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: contentType,
        ...this.encryption,
      }),
    );
    if (!out.UploadId) throw new Error('object store returned no upload id');
    return out.UploadId;
  }

  /** A URL the device PUTs one part to, valid for `expiresIn` seconds; it carries no credentials. */
  presignPart(key: string, uploadId: string, partNumber: number, expiresIn = 900): Promise<string> {
    return getSignedUrl(
      this.signer,
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
      { expiresIn },
    );
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]) {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
  }

  /**
   * Aborts: the upload's parts are given up (the embedded server answers this too, s3rver-uploads.ts).
   * False when the store refuses (no such upload, or no AbortMultipartUpload): not fatal.
   */
  async abortMultipart(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Uploads one part from memory (the hub's own streamed writes); returns its ETag. Sent to a URL
   * signed for the hub's own endpoint, as a device sends its parts, and written to the socket as it
   * is: through the SDK the whole body would be hashed again for the signature (SHA-256 of the
   * payload, over plain HTTP), and `fetch` copies a body it is given. Tried up to 3 times, like the
   * SDK's calls; a refusal (4xx) is said at once.
   */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const url = await getSignedUrl(
        this.client,
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
        { expiresIn: 900 },
      );
      const res = await putBody(new URL(url), body).catch((err: Error) => err);
      if (!(res instanceof Error) && res.status < 300 && res.etag) return res.etag;
      const reason =
        res instanceof Error
          ? res.message
          : res.status < 300
            ? 'returned no ETag'
            : `answered ${res.status} (${res.text.slice(0, 300)})`;
      if (attempt >= 3 || (!(res instanceof Error) && res.status < 500))
        throw new Error(`object store ${reason} for part ${partNumber} of ${key}`);
    }
  }

  /**
   * Copies bytes `first`..`last` (inclusive) of the object `source` into part `partNumber` of an
   * upload, on the server (UploadPartCopy): nothing travels through the hub. Returns the part's ETag.
   * S3's rule holds: every part but the last is at least 5 MiB.
   */
  async copyPart(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    first: number,
    last: number,
  ): Promise<string> {
    const out = await this.client.send(
      new UploadPartCopyCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        CopySource: `${this.bucket}/${encodeURIComponent(source)}`,
        CopySourceRange: `bytes=${first}-${last}`,
      }),
    );
    const etag = out.CopyPartResult?.ETag;
    if (!etag)
      throw new Error(
        `object store returned no ETag for part ${partNumber} of ${key}, copied from ${source}`,
      );
    return etag;
  }

  /** Stores a small object (a key frame, a manifest) whole. */
  async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...this.encryption,
      }),
    );
  }

  /** An object's bytes as a stream; `range` as HTTP's `bytes=a-b`. */
  async read(key: string, range?: string): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: range } : {}) }),
    );
    return out.Body as Readable;
  }

  /** A small object whole in memory (a key frame, a frame sampled for analysis). */
  async readAll(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.read(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Size in bytes, or undefined when there is no such object. */
  async size(key: string): Promise<number | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.ContentLength;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * A GET URL valid for `expiresIn` seconds (short-lived on purpose: it carries no credentials, so
   * whoever holds it may read). `internal`: signed for the hub's own endpoint (GStreamer reading in
   * a worker) rather than the public one (browsers).
   */
  presignGet(
    key: string,
    options: { expiresIn?: number; internal?: boolean; filename?: string; contentType?: string } = {},
  ): Promise<string> {
    return getSignedUrl(
      options.internal ? this.client : this.signer,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.filename
          ? { ResponseContentDisposition: `attachment; filename="${options.filename}"` }
          : {}),
        ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
      }),
      { expiresIn: options.expiresIn ?? 300 },
    );
  }

  /**
   * Streams an object and returns its SHA-256, CRC-32 (as a ZIP entry has it) and size, computed
   * here rather than trusted from the server.
   */
  async sha256(key: string): Promise<{ sha256: string; crc32: number; bytes: number }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    let crc = 0;
    let bytes = 0;
    for await (const chunk of out.Body as Readable) {
      hash.update(chunk as Buffer);
      crc = crc32(chunk as Buffer, crc);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), crc32: crc, bytes };
  }

  close(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}

/** Connections kept open between the hub's part uploads. */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** PUTs `body` to `url` as it is (no copy); resolves with the status, ETag and response text. */
function putBody(
  url: URL,
  body: Uint8Array,
): Promise<{ status: number; etag: string | undefined; text: string }> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'PUT',
        agent: secure ? agents.https : agents.http,
        headers: { 'content-length': String(body.byteLength) },
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            etag: res.headers.etag,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer from the object store in 120 s')));
    req.on('error', reject);
    req.end(body);
  });
}
