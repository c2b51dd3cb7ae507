/**
 * Fail closed, as it runs in a room: a live source (the clip paced at its own rate, so the analysis
 * branch's leaky queue drops frames) with analysis slower than the video (a generated polyp model that
 * takes seconds a frame, so that even a quiet CPU falls behind with analysis on its own thread), judged by the pixels of the recording. The scope comes out of the body
 * into a warm room with a person, shows a skin close-up, and goes back in with a face pasted into the
 * mucosa (a tower's picture-in-picture): none of it may show in the recording.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { installTinyPolypModel } from '@gic/shared/testing/tiny-polyp-model.js';
import { writeTowerClip } from '@gic/shared/testing/tower-clip.js';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { modelsDir, workDir } from './privacy-run.js';

const dir = workDir('privacy-live');

/** Brightest pixel's luma (0..255) of a frame, on a grid of every 2nd pixel. */
function maxLuma(frame: RgbFrame): number {
  let max = 0;
  for (let y = 0; y < frame.height; y += 2) {
    for (let x = 0; x < frame.width; x += 2) {
      const p = y * frame.stride + x * 3;
      max = Math.max(max, 0.299 * frame.data[p]! + 0.587 * frame.data[p + 1]! + 0.114 * frame.data[p + 2]!);
    }
  }
  return max;
}

describe('a live room with slow analysis', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records nothing of the room, the skin or a face while analysis lags and drops frames', async () => {
    const fixture = (name: string, size: number) =>
      decodeImage(readFileSync(join(import.meta.dirname, 'fixtures', 'faces', name)), {
        width: size,
        height: size,
      });
    const clip = join(dir, 'room.mp4');
    // Inside 0-4 s; the room with a person 4-6.5 s; a skin close-up 6.5-7.5 s; inside again with a face
    // pasted into the picture 7.5-9 s; inside 9-12 s.
    await writeTowerClip(clip, {
      width: 1280,
      height: 720,
      fps: 25,
      seconds: 12,
      seed: 5,
      picture: { shape: 'round', aspect: 4 / 3, heightShare: 0.9, centreX: 0.5 },
      texts: [],
      scenes: [
        { fromS: 4, toS: 6.5, scene: 'room' },
        { fromS: 6.5, toS: 7.5, scene: 'skin' },
      ],
      faces: [
        {
          image: await fixture('collins-shoulders.png', 180),
          box: { x: 0.38, y: 0.2, w: 0.25, h: 0.45 },
          fromS: 4,
          toS: 6.5,
        },
        {
          image: await fixture('collins-head.png', 150),
          box: { x: 0.55, y: 0.3, w: 0.15, h: 0.28 },
          fromS: 7.5,
          toS: 9,
        },
      ],
    });
    // The shipped models, and a polyp detector slow enough that analysis falls behind the video.
    const models = join(dir, 'models');
    cpSync(modelsDir, models, { recursive: true });
    const slow = installTinyPolypModel(models, { width: 64, height: 48 }, 1200);
    /** Runs the edge live over the clip with these models: frames dropped, and each recorded frame's brightest luma. */
    const live = async (name: string, modelIds: string) => {
      const edge = await startEdge(
        loadEdgeConfig({
          GIC_EDGE_DATA_DIR: join(dir, name),
          GIC_EDGE_PORT: String(await freePort()),
          GIC_HUB_URL: `http://127.0.0.1:${await freePort()}`,
          GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
          GIC_SOURCE: `file:${clip}`,
          // Paced as a tower delivers it: the analysis branch's queue is leaky, as for a capture card.
          GIC_REPLAY_REALTIME: 'true',
          GIC_ANALYSIS_FPS: '5',
          GIC_MODELS_DIR: models,
          GIC_MODELS: modelIds,
          // The first in-body frame analysed starts the procedure, which takes the whole recording: on
          // a loaded machine the slow model may analyse only a few frames of the clip, too far apart
          // to make a second of in-body video.
          GIC_PROCEDURE_AUTO_START_S: '0',
        }),
        createLogger(`privacy-live ${name}`, 'warn'),
      );
      let dropped: number;
      let path: string;
      try {
        expect((await edge.sourceEnded).kind).toBe('eos');
        const metrics = await (await fetch(`${edge.httpUrl}/metrics`)).text();
        dropped = Number(/gic_edge_frames_dropped_total (\d+)/.exec(metrics)?.[1] ?? 0);
        const ready = edge.db.prepare("SELECT path FROM recordings WHERE status = 'ready'").get() as
          | { path: string }
          | undefined;
        // When it is missing, what the box holds (and its warnings, logged above) say why.
        const held = {
          recordings: edge.db.prepare('SELECT status, segment_index, final, error FROM recordings').all(),
          procedures: edge.db.prepare('SELECT started_at, ended_at, end_reason FROM procedures').all(),
        };
        expect(
          ready,
          `${name}: no ready recording at the source's end: ${JSON.stringify(held)}`,
        ).toBeDefined();
        path = ready!.path;
      } finally {
        await edge.stop();
      }
      const seen: { t: number; max: number }[] = [];
      for await (const f of readFileFrames(path, { width: 640, height: 360, fps: 10 })) {
        seen.push({ t: f.ptsMs, max: maxLuma(f) });
      }
      expect(seen.length).toBeGreaterThanOrEqual(100);
      // Out of the body (4-7.5 s) and with the face in the picture (7.5-9 s): not a pixel of it.
      const outside = seen.filter((f) => f.t >= 4000 && f.t <= 9000);
      expect(outside.length).toBeGreaterThanOrEqual(45);
      expect(
        Math.max(...outside.map((f) => f.max)),
        JSON.stringify(outside.filter((f) => f.max >= 30)),
      ).toBeLessThan(30);
      const shown = seen.filter((f) => f.max >= 30);
      console.info(
        `${name}: dropped ${dropped} frames; ${shown.length} of ${seen.length} recorded frames show the picture`,
      );
      return { dropped, shown };
    };

    // Slow: analysis falls behind, frames are dropped, and the recorder masks while it lags.
    const slowRun = await live('slow', `blazeface-front,${slow}`);
    expect(slowRun.dropped).toBeGreaterThan(0);
    // Control: with analysis keeping up, the same live run shows the picture once it is back inside.
    const fastRun = await live('fast', 'blazeface-front');
    expect(fastRun.shown.some((f) => f.t >= 9500)).toBe(true);
  }, 300_000);
});
