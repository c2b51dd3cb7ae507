import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import type { Box, Detection, FrameAnalysis } from '../messages/events.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { installTinyPolypModel } from '../testing/tiny-polyp-model.js';
import { type FaceReach, loadFaceDetector } from './face-detector.js';
import { FrameAnalyzer, type RegionModel } from './frame-analyzer.js';
import { resolveModel } from './model-manifest.js';
import { loadPolypDetector } from './polyp-detector.js';
import { LIGHT_SCAN_SCALE, loadTextDetector } from './text-detector.js';

const root = join(import.meta.dirname, '..', '..', '..');
const SIZE = { width: 512, height: 288 }; // the text model's input, px

/** A real model wrapped to record which frames reached it, and how (batch sizes; 1 for `detect`). */
interface Recorded<T> {
  wrapped: RegionModel<T>;
  frames: number[];
  calls: number[];
}

function recorded<T>(model: RegionModel<T>): Recorded<T> {
  const frames: number[] = [];
  const calls: number[] = [];
  const wrapped: RegionModel<T> = {
    ref: model.ref,
    detect: (frame) => {
      frames.push(frame.index);
      calls.push(1);
      return model.detect(frame);
    },
    ...(model.detectBatch
      ? {
          detectBatch: (batch: RgbFrame[]) => {
            frames.push(...batch.map((f) => f.index));
            calls.push(batch.length);
            return model.detectBatch!(batch);
          },
        }
      : {}),
    close: () => model.close(),
  };
  return { wrapped, frames, calls };
}

function filled(index: number, rgb: (x: number, y: number) => [number, number, number]): RgbFrame {
  const stride = rgbStride(SIZE.width);
  const data = new Uint8Array(stride * SIZE.height);
  for (let y = 0; y < SIZE.height; y++)
    for (let x = 0; x < SIZE.width; x++) data.set(rgb(x, y), y * stride + x * 3);
  return { data, ...SIZE, stride, index, ptsMs: index * 500 };
}

const withoutLatency = ({ latencyMs: _, ...rest }: FrameAnalysis) => rest;

describe('FrameAnalyzer.analyseBatch with the real models', () => {
  let dir: string;
  let analyzer: FrameAnalyzer;
  let text: Recorded<Box>;
  let faces: Recorded<Box>;
  let polyps: Recorded<Detection>;
  let frames: RgbFrame[];

  beforeAll(async () => {
    execFileSync('bash', [join(root, 'scripts', 'fetch-blazeface.sh')], { stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'gic-analyzer-'));
    installTinyPolypModel(dir);
    text = recorded(
      await loadTextDetector(await resolveModel(join(root, 'models', 'pp-ocrv4-det.json')), ['cpu']),
    );
    faces = recorded(
      await loadFaceDetector(await resolveModel(join(root, 'models', 'blazeface-front.json')), ['cpu']),
    );
    polyps = recorded(await loadPolypDetector(await resolveModel(join(dir, 'tiny-polyp.json')), ['cpu']));
    analyzer = new FrameAnalyzer({
      textDetector: text.wrapped,
      faceDetector: faces.wrapped,
      polypDetector: polyps.wrapped,
      modelsOff: [],
    });
    const clip = await sampleClipFrames(2, SIZE);
    frames = [
      { ...clip[0]!, index: 0 }, // in body, with the OSD text
      filled(1, () => [128, 128, 128]), // outside the body: grey room
      // Mucosa with a bright red lesion in the bottom-right quadrant.
      filled(2, (x, y) => (x >= 280 && y >= 156 ? [250, 20, 20] : [150, 60, 50])),
      { ...clip[1]!, index: 3 },
    ];
  });

  afterAll(async () => {
    await analyzer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same analyses as one frame at a time, running each model once for its frames', async () => {
    const single: FrameAnalysis[] = [];
    for (const frame of frames) single.push(await analyzer.analyse(frame));
    for (const r of [text, faces, polyps]) {
      r.frames.length = 0;
      r.calls.length = 0;
    }
    const batched = await analyzer.analyseBatch(frames);
    expect(batched.map(withoutLatency)).toEqual(single.map(withoutLatency));
    expect(batched.map((a) => a.quality.inBody)).toEqual([true, false, true, true]);
    expect(batched[0]!.privacyRegions.length).toBeGreaterThan(0);
    expect(batched[2]!.detections).toHaveLength(1);
    // Text and faces on every frame (faces are masked wherever they are), polyps only inside.
    expect(text.calls).toEqual([4]);
    expect(text.frames).toEqual([0, 1, 2, 3]);
    expect(faces.frames).toEqual([0, 1, 2, 3]);
    expect(polyps.calls).toEqual([3]);
    expect(polyps.frames).toEqual([0, 2, 3]);
  });

  it('gives every analysis of a batch the batch time as its latency', async () => {
    const batched = await analyzer.analyseBatch(frames.slice(0, 2));
    expect(batched[0]!.latencyMs).toBeGreaterThan(0);
    expect(batched[1]!.latencyMs).toBe(batched[0]!.latencyMs);
    expect(await analyzer.analyseBatch([])).toEqual([]);
  });

  it('refuses a batch with a truncated frame, naming it, rather than analysing NaN', async () => {
    const broken = { ...frames[1]!, index: 9, data: frames[1]!.data.subarray(0, 1000) };
    await expect(analyzer.analyseBatch([frames[0]!, broken])).rejects.toThrow(/frame 9: 1000 bytes/);
  });
});

describe('FrameAnalyzer and the text recogniser', () => {
  const banner: Box = { x: 0.1, y: 0.05, w: 0.5, h: 0.06 };
  /** An analyzer whose detector finds the banner on every frame and whose recogniser says `isText`. */
  function setup(isText: boolean) {
    const reads: number[] = [];
    const analyzer = new FrameAnalyzer({
      textDetector: {
        ref: { id: 'fixed-text', version: '1', executionProvider: 'cpu' },
        detect: async () => [banner],
        close: async () => {},
      },
      textRecogniser: {
        ref: { id: 'scripted-rec', version: '1', executionProvider: 'cpu' },
        read: async (frame, regions) => {
          reads.push(frame.ptsMs);
          return regions.map(() => ({ text: isText ? 'DOE JANE' : '', confidence: 0.9, isText }));
        },
        close: async () => {},
      },
      modelsOff: [],
      privacy: { fieldOfView: false },
    });
    const at = async (ptsMs: number) => {
      const frame = { ...filled(0, () => [150, 60, 50]), ptsMs };
      const [analysis] = await analyzer.analyseBatch([frame]);
      return analysis!.privacyRegions.filter((r) => r.kind === 'text');
    };
    return { reads, at };
  }

  it('does not read again a line it read as text moments ago in the same place, and masks it', async () => {
    const { reads, at } = setup(true);
    for (const pts of [0, 200, 400, 1000, 2000]) {
      const regions = await at(pts);
      expect(regions).toHaveLength(1);
      expect(regions[0]!.recognised).toBe(true);
    }
    expect(reads).toEqual([0]);
    // Past the confirmation's 2 s of stream time it is read again.
    await at(2001);
    expect(reads).toEqual([0, 2001]);
  });

  it('reads a line that was not text again on every frame, so a stale reading never unmasks', async () => {
    const { reads, at } = setup(false);
    for (const pts of [0, 200, 400]) expect((await at(pts))[0]!.recognised).toBe(false);
    expect(reads).toEqual([0, 200, 400]);
  });
});

describe('FrameAnalyzer and the face detector', () => {
  it('searches for faces of every size on frames searched for text, for large ones alone on the others', async () => {
    const reaches: (FaceReach | undefined)[] = [];
    const analyzer = new FrameAnalyzer({
      textDetector: {
        ref: { id: 'no-text', version: '1', executionProvider: 'cpu' },
        detect: async () => [],
        close: async () => {},
      },
      lightTextScale: LIGHT_SCAN_SCALE,
      faceDetector: {
        ref: { id: 'counting-faces', version: '1', executionProvider: 'cpu' },
        detect: async (_frame: RgbFrame, reach?: FaceReach) => {
          reaches.push(reach);
          return [];
        },
        close: async () => {},
      },
      modelsOff: [],
    });
    const frames = [0, 1, 2, 3].map((i) => filled(i, () => [150, 60, 50]));
    const analyses = await analyzer.analyseBatch(frames, ['full', 'light', 'none', 'light']);
    expect(analyses.map((a) => a.scan)).toEqual(['full', 'light', 'none', 'light']);
    expect(reaches).toEqual(['all', 'all', 'large', 'all']);
  });
});
