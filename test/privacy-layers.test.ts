/**
 * Each layer of the de-identification is needed: with any one of points 1-4 switched off
 * (GIC_PRIVACY_MODE=off, GIC_PRIVACY_LAYERS_OFF=resolution|layout|recogniser), the same oracle as
 * privacy-tower.test.ts reads identifiers in the recording, or (the recogniser) highlights black out
 * more than 1% of the picture. This is what makes the passing tests there mean something. (The oracle
 * stops at the first identifier it reads: one is enough to show the leak.)
 */
import { rmSync } from 'node:fs';
import { privacyClips } from '@gic/shared/testing/privacy-clips.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipFile, falseMaskShare, readRecording, recordClip, workDir } from './privacy-run.js';

type Clip = ReturnType<typeof privacyClips>[number];
/**
 * Every analysed frame gets a full text scan here (not one a second, as in a room): the detector at its
 * strongest, so what still leaks is what the layer switched off is there for.
 */
const FULL = { GIC_FULL_SCAN_MS: '0' };
const [bannerClip, borderClip, pictureClip] = privacyClips(6) as [Clip, Clip, Clip];
const dir = workDir('privacy-layers');
let bannerPath: string;
let borderPath: string;
let picturePath: string;

describe('with a layer switched off, identifiers leak or the mucosa is hidden', () => {
  beforeAll(async () => {
    bannerPath = await clipFile(bannerClip);
    borderPath = await clipFile(borderClip);
    picturePath = await clipFile(pictureClip);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('1. without the field of view, small print the detector misses in the border is read', async () => {
    const run = await recordClip(dir, borderPath, { ...FULL, GIC_PRIVACY_MODE: 'off' });
    // 10 px grey print: at 1280x720 Tesseract read it in about 1 frame in 6 (once in none of a
    // run's frames); at the clip's own 1920x1080, in about 3 in 5. Every frame is read until one hit.
    const oracle = await readRecording(run, borderClip, { stopAfter: 1, fps: 6, nativeSize: true });
    console.info('field of view off:', oracle.characters, oracle.hits);
    expect(oracle.characters).toBeGreaterThan(0);
  }, 400_000);

  // Point 2 matters wherever the field of view does not cover text: over the picture, and in the
  // border in text-only mode, where the border is masked only where text is found.
  it('2. in text-only mode, with the frame stretched into 512x288 the old way, small print in the border is read', async () => {
    // The control runs as a room does (a full text scan a second).
    const control = await readRecording(
      await recordClip(dir, bannerPath, { GIC_PRIVACY_MODE: 'text-only' }),
      bannerClip,
    );
    console.info('text-only, every layer on:', control.characters, control.hits);
    expect(control.hits).toEqual([]);
    const run = await recordClip(dir, bannerPath, {
      ...FULL,
      GIC_PRIVACY_MODE: 'text-only',
      GIC_PRIVACY_LAYERS_OFF: 'resolution',
    });
    const oracle = await readRecording(run, bannerClip, { stopAfter: 1 });
    console.info('text-only, resolution off:', oracle.characters, oracle.hits);
    expect(oracle.characters).toBeGreaterThan(0);
  }, 800_000);

  // Point 3 matters for text the field of view does not cover: a banner over the picture.
  it('3. without the learned layout (text masked only while found), a blinking banner is read', async () => {
    const run = await recordClip(dir, picturePath, { ...FULL, GIC_PRIVACY_LAYERS_OFF: 'layout' });
    const oracle = await readRecording(run, pictureClip, { stopAfter: 1 });
    console.info('layout off:', oracle.characters, oracle.hits);
    expect(oracle.characters).toBeGreaterThan(0);
  }, 400_000);

  it('4. without the recogniser, highlights inside the picture are masked as text: more than 1%', async () => {
    const run = await recordClip(dir, bannerPath, { ...FULL, GIC_PRIVACY_LAYERS_OFF: 'recogniser' });
    const share = falseMaskShare(run);
    console.info(`recogniser off: ${(share * 100).toFixed(2)}% of the picture masked`);
    expect(share).toBeGreaterThan(0.01);
  }, 400_000);
});
