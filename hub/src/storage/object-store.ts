import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
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
}

/** The hub's view of S3: multipart uploads by presigned URL, reads, and a health check. */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** Signs URLs for devices; only signs, so it never connects anywhere itself. */
  private readonly signer: S3Client;

  constructor(config: ObjectStoreConfig) {
    this.bucket = config.bucket;
    const client = (endpoint: string) =>
      new S3Client({
        endpoint,
        region: config.region,
        forcePathStyle: config.forcePathStyle,
        credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
        maxAttempts: 3,
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
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
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

  /** Aborts; servers without AbortMultipartUpload (s3rver) leave parts behind, which is logged, not fatal. */
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

  /** Uploads one part from memory (the hub's own streamed writes); returns its ETag. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const out = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
    );
    if (!out.ETag) throw new Error(`object store returned no ETag for part ${partNumber} of ${key}`);
    return out.ETag;
  }

  /** Stores a small object (a key frame, a manifest) whole. */
  async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
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

  /** Streams an object and returns its SHA-256 and size, computed here rather than trusted from the server. */
  async sha256(key: string): Promise<{ sha256: string; bytes: number }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of out.Body as Readable) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), bytes };
  }

  close(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}
