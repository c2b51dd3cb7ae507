/**
 * The in-body decision on scenes a room shows when the scope is out (warm light, red and orange
 * surroundings, skin close-up, a face in front of red curtains), in a tower's picture and filling the
 * frame, with the real face detector: all must read as outside the body; mucosa must read as inside,
 * and a face pasted into it is found and makes the frame count as outside.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger.js';
import { decodeImage } from '../../media/decode-image.js';
import type { RgbFrame } from '../../media/frame.js';
import type { Box } from '../../messages/events.js';
import { type PictureShape, type Scene, towerFrames } from '../../testing/tower-clip.js';
import type { FrameAnalyzer } from '../frame-analyzer.js';
import { loadFrameAnalyzer } from '../load-analyzer.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');

async function frame(
  scene: Scene,
  shape: PictureShape,
  face?: { image: RgbFrame; box: Box },
): Promise<RgbFrame> {
  const frames = towerFrames({
    width: 1280,
    height: 720,
    fps: 1,
    seconds: 1,
    picture: { shape, aspect: 4 / 3, heightShare: shape === 'none' ? 1 : 0.9, centreX: 0.5 },
    texts: [],
    scenes: [{ fromS: 0, toS: 1, scene }],
    faces: face ? [{ ...face, fromS: 0, toS: 1 }] : [],
  });
  return (await frames.next()).value as RgbFrame;
}

describe('room scenes read as outside the body, with the real models', () => {
  let analyzer: FrameAnalyzer;
  let shoulders: RgbFrame;
  let head: RgbFrame;

  beforeAll(async () => {
    execFileSync('bash', [join(root, 'scripts', 'fetch-blazeface.sh')], { stdio: 'pipe' });
    ({ analyzer } = await loadFrameAnalyzer(
      join(root, 'models'),
      ['pp-ocrv4-det', 'blazeface-front'],
      createLogger('test', 'silent'),
    ));
    const fixture = (name: string, size: number) =>
      decodeImage(readFileSync(join(root, 'test', 'fixtures', 'faces', name)), { width: size, height: size });
    shoulders = await fixture('collins-shoulders.png', 180);
    head = await fixture('collins-head.png', 150);
  }, 120_000);

  afterAll(async () => {
    await analyzer?.close();
  });

  it.each([
    ['a warm room with red curtains, in the tower picture', 'room', 'round'],
    ['a warm room with red curtains, filling the frame', 'room', 'none'],
    ['an orange-lit wall', 'warm-wall', 'round'],
    ['a skin close-up', 'skin', 'round'],
    ['a skin close-up, filling the frame', 'skin', 'none'],
  ] as const)('%s', async (_name, scene, shape) => {
    const analysis = await analyzer.analyse(await frame(scene, shape));
    expect(analysis.quality.inBody).toBe(false);
  });

  it('a face in front of red curtains: found, and outside the body', async () => {
    const box = { x: 0.35, y: 0.25, w: 0.25, h: 0.45 };
    const analysis = await analyzer.analyse(await frame('curtain', 'none', { image: head, box }));
    expect(analysis.quality.inBody).toBe(false);
    expect(analysis.privacyRegions.some((r) => r.kind === 'face')).toBe(true);
  });

  it('mucosa is inside; with a face pasted into it the face is found and the frame is not', async () => {
    expect((await analyzer.analyse(await frame('mucosa', 'round'))).quality.inBody).toBe(true);
    const box = { x: 0.55, y: 0.3, w: 0.15, h: 0.28 };
    const analysis = await analyzer.analyse(await frame('mucosa', 'round', { image: head, box }));
    expect(analysis.quality.inBody).toBe(false);
    const face = analysis.privacyRegions.find((r) => r.kind === 'face')!;
    expect(face.x).toBeLessThan(box.x + box.w / 2);
    expect(face.x + face.w).toBeGreaterThan(box.x + box.w / 2);
    // A person in a warm room, head and shoulders: the same.
    const person = await analyzer.analyse(
      await frame('room', 'round', { image: shoulders, box: { x: 0.38, y: 0.2, w: 0.25, h: 0.45 } }),
    );
    expect(person.quality.inBody).toBe(false);
    expect(person.privacyRegions.some((r) => r.kind === 'face')).toBe(true);
  });
});
