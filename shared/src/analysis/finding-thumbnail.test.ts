import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { decodeImage } from '../media/decode-image.js';
import { encodeJpeg } from '../media/encode-jpeg.js';
import type { RgbFrame } from '../media/frame.js';
import { SAMPLE_OSD_MASKS } from '../media/sample-video.js';
import type { Box, FrameAnalysis } from '../messages/events.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { findingThumbnail } from './finding-thumbnail.js';
import type { FrameAnalyzer } from './frame-analyzer.js';
import { loadFrameAnalyzer } from './load-analyzer.js';
import type { PrivacyMask } from './privacy/privacy-mask.js';

const models = join(import.meta.dirname, '..', '..', '..', 'models');
const FINDING: Box = { x: 0.4, y: 0.4, w: 0.2, h: 0.25 };

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('findingThumbnail on a sample clip frame, checked with the real text detector', () => {
  let analyzer: FrameAnalyzer;
  let size: { width: number; height: number };
  let frame: RgbFrame;
  let analysis: FrameAnalysis;
  /** Where the fake patient identity was found in the frame: text in the top OSD band. */
  let patientText: Box[];
  /** The frame's own text regions (as the recorder masks them), and those with the OSD boxes too. */
  let detectedMask: PrivacyMask;
  let osdMask: PrivacyMask;

  /** Text the detector finds in a JPEG, decoded back at the analysis size. */
  const textIn = async (jpeg: Buffer) => {
    const decoded = await decodeImage(jpeg, size);
    return (await analyzer.analyse(decoded)).privacyRegions.filter((r) => r.kind === 'text');
  };

  beforeAll(async () => {
    ({ analyzer, size } = await loadFrameAnalyzer(models, ['pp-ocrv4-det'], createLogger('test', 'silent')));
    [frame] = (await sampleClipFrames(1, size)) as [RgbFrame];
    analysis = await analyzer.analyse(frame);
    const band = SAMPLE_OSD_MASKS[0]!;
    patientText = analysis.privacyRegions.filter((r) => r.y + r.h <= band.y + band.h);
    detectedMask = { full: false, boxes: analysis.privacyRegions };
    osdMask = { full: false, boxes: [...analysis.privacyRegions, ...SAMPLE_OSD_MASKS] };
  });

  afterAll(async () => {
    await analyzer?.close();
  });

  it('control: a plain thumbnail of the frame still shows the patient text to the detector', async () => {
    expect(analysis.quality.inBody).toBe(true);
    expect(patientText.length).toBeGreaterThan(0);
    const plain = await encodeJpeg(frame, { quality: 80, width: 320 });
    const found = await textIn(plain);
    expect(found.some((t) => patientText.some((p) => overlaps(t, p)))).toBe(true);
  });

  /** What the detector finds in a thumbnail, sorted by where: over the patient text, elsewhere. */
  const findings = async (jpeg: Buffer) => {
    const found = await textIn(jpeg);
    return {
      onPatientText: found.filter((t) => patientText.some((p) => overlaps(t, p))),
      // The yellow outline's thin lines read as text to a DB detector; it is our drawing, not the frame's.
      elsewhere: found.filter((t) => !overlaps(t, FINDING)),
    };
  };

  it('leaves no text where the patient text was, nor anywhere but the outline', async () => {
    const jpeg = await findingThumbnail(frame, analysis, osdMask, FINDING);
    expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(await findings(jpeg)).toEqual({ onPatientText: [], elsewhere: [] });
  });

  it('hides the patient text with either layer alone: detected regions, or the static OSD masks', async () => {
    const detectedOnly = await findingThumbnail(frame, analysis, detectedMask, FINDING);
    expect(await findings(detectedOnly)).toEqual({ onPatientText: [], elsewhere: [] });
    const unmaskedAnalysis = { ...analysis, privacyRegions: [] };
    const masksOnly = await findingThumbnail(
      frame,
      unmaskedAnalysis,
      { full: false, boxes: SAMPLE_OSD_MASKS },
      FINDING,
    );
    expect(await findings(masksOnly)).toEqual({ onPatientText: [], elsewhere: [] });
  });

  it('is about 320 px wide, with the OSD black, the finding outlined and its inside untouched', async () => {
    const jpeg = await findingThumbnail(frame, analysis, osdMask, FINDING);
    const thumb = await decodeImage(jpeg, { width: 320, height: 180 });
    const at = (x: number, y: number) => [
      ...thumb.data.subarray(y * thumb.stride + x * 3, y * thumb.stride + x * 3 + 3),
    ];
    expect(Math.max(...at(100, 8))).toBeLessThan(30); // in the identity band
    const [r, g, b] = at(160, Math.round(0.4 * 180) - 1); // on the top edge of the outline
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(180);
    expect(b).toBeLessThan(90);
    const inside = at(160, 90);
    expect(Math.max(...inside)).toBeGreaterThan(60); // the scene, not burned
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect([jpeg.readUInt16BE(sof + 7), jpeg.readUInt16BE(sof + 5)]).toEqual([320, 180]);
  });

  it('refuses an analysis of another frame, a frame outside the body, and a mask of the whole frame', async () => {
    await expect(
      findingThumbnail(frame, { ...analysis, frameIndex: 99 }, detectedMask, FINDING),
    ).rejects.toThrow(/analysis of frame 99 .* is not of frame 0/);
    const outside = { ...analysis, quality: { ...analysis.quality, inBody: false } };
    await expect(findingThumbnail(frame, outside, osdMask, FINDING)).rejects.toThrow(/not inside the body/);
    await expect(findingThumbnail(frame, analysis, { full: true, boxes: [] }, FINDING)).rejects.toThrow(
      /masked whole/,
    );
  });
});
