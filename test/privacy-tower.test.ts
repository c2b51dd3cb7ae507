/**
 * De-identification on tower-style footage, judged by an oracle the masking does not use: Tesseract
 * reads the recording the edge made (as it is, and upscaled 2x in sparse-text mode), and must find
 * none of the made-up identifiers burned into the clip. The picture must stay visible: on clips with
 * no text inside it, the share masked (what a reviewer loses) stays under 1%.
 */
import { rmSync } from 'node:fs';
import { readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import { privacyClips } from '@gic/shared/testing/privacy-clips.js';
import { towerFrames } from '@gic/shared/testing/tower-clip.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clipFile,
  falseMaskShare,
  middleLuma,
  readRecording,
  recordClip,
  recordingFrames,
  workDir,
} from './privacy-run.js';

const clips = privacyClips(6);
const dir = workDir('privacy-tower');

describe('nothing readable leaves the box, and the mucosa stays visible', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(clips.map((clip) => [clip.name, clip] as const))(
    '%s',
    async (_name, clip) => {
      // Control: the oracle reads the identifiers in the clip itself.
      const source = towerFrames({ ...clip.options, seconds: 3, fps: 1 });
      const frames = [];
      for await (const f of source) frames.push(f);
      expect(
        (await readIdentifiers(frames.slice(2), clip.identifiers, clip.patterns, { stopAfter: 11 }))
          .characters,
      ).toBeGreaterThan(10);

      const run = await recordClip(dir, await clipFile(clip));
      const oracle = await readRecording(run, clip);
      console.info(
        `${clip.name}: ${oracle.characters} identifier characters read in ${oracle.framesRead} frames`,
        oracle.hits,
      );
      expect(oracle.framesRead).toBeGreaterThanOrEqual(6);
      expect(oracle.hits).toEqual([]);
      // Every analysed frame was taken to be inside the body, and found the picture in its border.
      expect(run.analyses.length).toBeGreaterThanOrEqual(20);
      expect(run.analyses.every((a) => a.quality.inBody && a.fieldOfView?.bordered)).toBe(true);
      // The picture stays visible once the recorder unmasks (2 s of in-body video).
      const late = (await recordingFrames(run.recording, 2)).filter((f) => f.ptsMs >= 3000);
      expect(late.length).toBeGreaterThanOrEqual(4);
      for (const f of late) expect(middleLuma(f), `at ${f.ptsMs} ms`).toBeGreaterThan(35);
      const share = falseMaskShare(run);
      console.info(
        `${clip.name}: ${(share * 100).toFixed(2)}% of the picture masked (procedure: ${((run.maskedInPicture ?? Number.NaN) * 100).toFixed(2)}%)`,
      );
      // Highlights look like print to the detector; the recogniser keeps them visible.
      if (!clip.textInPicture) expect(share).toBeLessThan(0.01);
      expect(run.maskedInPicture).not.toBeNull();
    },
    400_000,
  );
});
