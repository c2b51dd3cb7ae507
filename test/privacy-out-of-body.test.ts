import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bandLuma } from '@gic/edge/capture/testing/test-clips.js';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { runToEos } from '@gic/shared/media/gst.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';

/** Mean luma (0..255) of a whole frame. */
const luma = (frame: RgbFrame) => bandLuma(frame, 0, 1);

describe('no patient identity reaches the recording', () => {
  it('burns out every frame while the scope is outside the body, on a box with no network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-privacy-'));
    chmodSync(dir, 0o711);
    const clip = join(dir, 'in-out-in.mp4');
    // 1.5 s inside (red), 2 s outside (white: the room, where faces are), 4.5 s inside again.
    const part = (pattern: string, frames: number) =>
      `videotestsrc pattern=${pattern} num-buffers=${frames} ! video/x-raw,width=320,height=180,framerate=30/1 ! c.`;
    await runToEos(
      `concat name=c ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast key-int-max=15 ! h264parse ! mp4mux ! filesink location=${clip} ` +
        [part('red', 45), part('white', 60), part('red', 135)].join(' '),
    );
    const edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: `http://127.0.0.1:${await freePort()}`, // nobody there: the box works offline
        GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_ANALYSIS_FPS: '6',
        // The clip's in-body stretches are short (1.5 s, 2.5 s): start the procedure at the first.
        GIC_PROCEDURE_AUTO_START_S: '1',
      }),
      createLogger('privacy', 'silent'),
    );
    try {
      expect((await edge.sourceEnded).kind).toBe('eos');
      const { path } = edge.db.prepare("SELECT path FROM recordings WHERE status = 'ready'").get() as {
        path: string;
      };
      const seen: { t: number; luma: number }[] = [];
      for await (const frame of readFileFrames(path, { width: 160, height: 90, fps: 10 })) {
        seen.push({ t: frame.ptsMs, luma: luma(frame) });
      }
      expect(seen.length).toBeGreaterThanOrEqual(75);
      const outside = seen.filter((f) => f.t >= 1400 && f.t <= 3600);
      expect(outside.length).toBeGreaterThanOrEqual(20);
      expect(Math.max(...outside.map((f) => f.luma))).toBeLessThan(8);
      // Inside again, the picture comes back once in-body has held past the recorder's delay (from
      // about 4 s when analysis keeps up), later if the analysis falls behind the video on a busy machine (the
      // recorder then masks the whole frame, failing closed), and once back it stays.
      const trace = `luma of the recording every 100 ms: ${JSON.stringify(seen)}`;
      const back = seen.findIndex((f) => f.t >= 3500 && f.luma > 40);
      expect(back, trace).toBeGreaterThan(0);
      expect(seen[back]!.t, trace).toBeLessThanOrEqual(6800);
      expect(Math.min(...seen.slice(back).map((f) => f.luma)), trace).toBeGreaterThan(40);
    } finally {
      await edge.stop();
    }
  }, 60_000);

  it('burns out burned-in patient text even where no on-screen-display box was configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-privacy-text-'));
    chmodSync(dir, 0o711);
    const clip = join(dir, 'sample.mp4');
    await generateSampleVideo(clip, { seconds: 6, width: 640, height: 360 });
    const modelsDir = join(import.meta.dirname, '..', 'models');
    const edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: `http://127.0.0.1:${await freePort()}`,
        GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_MODELS: 'pp-ocrv4-det',
        GIC_MODELS_DIR: modelsDir,
        GIC_PROCEDURE_AUTO_START_S: '1',
        // No GIC_PRIVACY_MASKS: the recorder has only what the text detector finds.
      }),
      createLogger('privacy-text', 'silent'),
    );
    try {
      expect((await edge.sourceEnded).kind).toBe('eos');
      const { path } = edge.db.prepare("SELECT path FROM recordings WHERE status = 'ready'").get() as {
        path: string;
      };
      // Judged by an OCR engine the masking does not use (Tesseract): it reads the identity in the
      // source clip, and nothing of it, nor the clock, once the picture shows in the recording (both
      // read at twice the clip's size, as a person zooming in would).
      const identity = ['DOE', 'JANE', '1961', '00123456'];
      const clock = /\d:\d\d:\d\d/;
      const source = [];
      for await (const frame of readFileFrames(clip, { width: 1280, height: 720, fps: 1 }))
        source.push({ ...frame, data: Buffer.from(frame.data) });
      expect(
        (await readIdentifiers(source.slice(0, 2), identity, [clock], { stopAfter: 5 })).characters,
      ).toBeGreaterThan(4);
      const recorded = [];
      for await (const frame of readFileFrames(path, { width: 1280, height: 720, fps: 2 })) {
        if (frame.ptsMs < 2500) continue; // after the first in-body stretch
        expect(luma(frame)).toBeGreaterThan(20); // the picture itself is there, not a black frame
        recorded.push({ ...frame, data: Buffer.from(frame.data) });
      }
      expect(recorded.length).toBeGreaterThanOrEqual(6);
      expect((await readIdentifiers(recorded, identity, [clock])).hits).toEqual([]);
    } finally {
      await edge.stop();
    }
  }, 60_000);
});
