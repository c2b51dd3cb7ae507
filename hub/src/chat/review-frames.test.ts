import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type ChatEvent, ChatService } from '@gic/shared/chat/chat-service.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import {
  CLIP_COLOURS,
  centreColour,
  nearestColour,
  writeColourClip,
} from '@gic/shared/testing/colour-clip.js';
import { ScriptedVlmEngine } from '@gic/shared/testing/scripted-vlm.js';
import type { VlmImage } from '@gic/shared/vlm/vlm-engine.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { insertUploadedVideo, recordMaskedCopy } from '../videos/videos-repo.js';
import { hubProcedureFacts } from './hub-procedure-facts.js';
import { reviewChatStore } from './review-chat-store.js';
import { pieceAt, reviewFrames } from './review-frames.js';

describe('pieceAt: a time on the procedure axis placed in its recording as the page places it', () => {
  const pieces = [
    { key: 'a', durationMs: 3000, frameMs: 100 },
    { key: 'b', durationMs: 3000, frameMs: 100 },
  ];
  it('crosses segments, shifts by the offset, and stays on the last frame past the end', () => {
    expect(pieceAt(pieces, 1500, 0)).toEqual({ piece: pieces[0], positionMs: 1500 });
    expect(pieceAt(pieces, 4200, 0)).toEqual({ piece: pieces[1], positionMs: 1200 });
    expect(pieceAt(pieces, 1500, 2000)).toEqual({ piece: pieces[1], positionMs: 500 });
    expect(pieceAt(pieces, 0, -500)).toEqual({ piece: pieces[0], positionMs: 0 });
    expect(pieceAt(pieces, 60_000, 0)).toEqual({ piece: pieces[1], positionMs: 2900 });
    expect(pieceAt([], 0, 0)).toBeNull();
  });
});

describe('the review chat sees the recording at the video position (real PostgreSQL and S3)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-review-frames-'));
  chmodSync(dir, 0o711);
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  const room = randomUUID();
  const broken = randomUUID();
  const upload = randomUUID();
  const maskedUpload = randomUUID();
  const images: (VlmImage | undefined)[] = [];
  let service: ChatService;

  const addSegment = async (procedureId: string, index: number, key: string, bytes: Buffer) => {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await db.query(
      `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                               sha256_verified, status)
       VALUES ($1, $2, 'edge-frames', $3, $4, 0, $5, $5, 'available')`,
      [randomUUID(), procedureId, key, bytes.length, sha256],
    );
    await db.query(
      `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                    sha256, last_seq)
       VALUES ('edge-frames', $1, $2, $3, 'ready', false, $4, $5, 0)`,
      [randomUUID(), procedureId, index, bytes.length, sha256],
    );
  };

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    await db.query(
      `INSERT INTO devices (id, name, public_jwk) VALUES ('edge-frames', 'Room 3', '{}'::jsonb);
       INSERT INTO procedures (id, device_id, started_at, ended_at)
       VALUES ('${room}', 'edge-frames', now() - interval '6 seconds', now()),
              ('${broken}', 'edge-frames', now() - interval '6 seconds', now());`,
    );
    // Two 3 s segments, one colour per second: the colour of a picture says its time.
    for (const segment of [0, 1]) {
      const path = join(dir, `segment-${segment}.mp4`);
      await writeColourClip(path, CLIP_COLOURS.slice(segment * 3, segment * 3 + 3));
      const bytes = readFileSync(path);
      const key = `recordings/edge-frames/${room}/${segment}.mp4`;
      await store.put(key, bytes, 'video/mp4');
      await addSegment(room, segment, key, bytes);
      // The other procedure's recording is listed but not in the store (lost, or not readable).
      await addSegment(broken, segment, `recordings/edge-frames/${broken}/${segment}.mp4`, bytes);
    }
    // An upload not de-identified yet: its raw file is never shown to the model.
    await store.put(`uploads/${upload}/raw.mp4`, readFileSync(join(dir, 'segment-0.mp4')), 'video/mp4');
    await insertUploadedVideo(db, {
      procedureId: upload,
      rawKey: `uploads/${upload}/raw.mp4`,
      facts: { durationMs: 3000, width: 320, height: 240, fps: 10 },
      bytes: 1,
      sha256: '0'.repeat(64),
      createdBy: 'rita',
    });
    // An upload whose de-identified copy is made and verified: its picture comes from that copy.
    await writeColourClip(join(dir, 'masked.mp4'), CLIP_COLOURS);
    const masked = readFileSync(join(dir, 'masked.mp4'));
    await store.put(`videos/${maskedUpload}/masked.mp4`, masked, 'video/mp4');
    await insertUploadedVideo(db, {
      procedureId: maskedUpload,
      rawKey: `uploads/${maskedUpload}/raw.mp4`,
      facts: { durationMs: 6000, width: 320, height: 240, fps: 10 },
      bytes: 1,
      sha256: '1'.repeat(64),
      createdBy: 'rita',
    });
    await recordMaskedCopy(db, {
      procedureId: maskedUpload,
      recordingId: randomUUID(),
      key: `videos/${maskedUpload}/masked.mp4`,
      bytes: masked.length,
      sha256: createHash('sha256').update(masked).digest('hex'),
      crc32: crc32(masked),
    });
    service = new ChatService({
      store: reviewChatStore(db),
      facts: hubProcedureFacts(db),
      vlm: new ScriptedVlmEngine((req) => {
        images.push(req.messages.at(-1)?.image);
        return 'An educational look at this moment.';
      }),
      frameAt: reviewFrames(db, store, { stepTimeoutMs: 5000, log: createLogger('review-frames', 'silent') }),
    });
  }, 60_000);
  afterAll(async () => {
    store?.close();
    await s3?.stop();
    await db?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (procedureId: string, tMs: number) => {
    const events: ChatEvent[] = [];
    for await (const e of service.ask({
      sessionId: randomUUID(),
      procedureId,
      text: 'What do we see here?',
      tMs,
    }))
      events.push(e);
    const last = events.at(-1);
    return last?.type === 'answer' ? last.message : undefined;
  };

  it('gives the model the frame of the right segment at the asked time, scaled as the room does', async () => {
    for (const [tMs, second] of [
      [1500, 1],
      [4200, 4], // 1.2 s into the second segment
      [2950, 2],
      [60_000, 5], // past the end: the last frame
    ] as const) {
      const answer = await ask(room, tMs);
      expect(answer?.text).toBe('An educational look at this moment.');
      const image = images.at(-1);
      expect(image, `${tMs} ms`).toBeDefined();
      expect([image!.width, image!.height]).toEqual([896, 896]);
      expect(nearestColour(centreColour({ data: image!.rgb, width: 896, height: 896 })), `${tMs} ms`).toBe(
        second,
      );
    }
  }, 60_000);

  it('gives an upload the frame of its verified de-identified copy', async () => {
    await ask(maskedUpload, 4500);
    const image = images.at(-1);
    expect(image).toBeDefined();
    expect(nearestColour(centreColour({ data: image!.rgb, width: 896, height: 896 }))).toBe(4);
  }, 30_000);

  it('answers without a picture when the recording cannot be read, is not de-identified, or is too slow', async () => {
    const before = images.length;
    for (const id of [broken, upload]) {
      const answer = await ask(id, 1000);
      expect(answer?.source).toBe('model');
      expect(answer?.text).toBe('An educational look at this moment.');
    }
    expect(images.slice(before)).toEqual([undefined, undefined]);

    // Too slow for the answer's deadline: no picture, and the answer does not wait for one.
    const hurried = new ChatService({
      store: reviewChatStore(db),
      facts: hubProcedureFacts(db),
      vlm: new ScriptedVlmEngine((req) =>
        req.messages.at(-1)?.image ? 'with a picture' : 'without a picture',
      ),
      frameAt: reviewFrames(db, store, { totalTimeoutMs: 1 }),
    });
    let last: ChatEvent | undefined;
    for await (const e of hurried.ask({
      sessionId: randomUUID(),
      procedureId: room,
      text: 'And now?',
      tMs: 1000,
    }))
      last = e;
    expect(last?.type === 'answer' && last.message.text).toBe('without a picture');
  }, 30_000);
});
