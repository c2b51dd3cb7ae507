import { checkRgbFrame, type RgbFrame, rgbStride } from '../media/frame.js';
import type { Box, Detection, FrameAnalysis, ModelRef } from '../messages/events.js';
import { growBox } from './box-geometry.js';
import type { FaceReach } from './face-detector.js';
import { assessQuality, defaultQualityThresholds, type QualityThresholds } from './image-quality.js';
import { colourGrid } from './privacy/colour-grid.js';
import { ConfirmedTextLines } from './privacy/confirmed-text-lines.js';
import { estimateFieldOfView, type FieldOfViewEstimate } from './privacy/field-of-view.js';
import { judgeInBodyColour } from './privacy/in-body.js';
import { boxShareInside, insidePolygon } from './privacy/polygon.js';
import { growTextLine, joinTextLines } from './privacy/text-lines.js';
import type { TextRecogniser } from './privacy/text-recogniser.js';
import { addStageTime, type StageTimes, timeStage } from './stage-times.js';
import type { TextDetectionScale } from './text-detector.js';

/** Face boxes run brow to chin; masks grow them by this share of their size on each side, for hair and ears. */
const FACE_MARGIN = 0.25;
/** A text line with at least this share inside the picture is read before it is masked; less counts as outside. */
const INSIDE_SHARE = 0.75;

/** A loaded model that finds regions (text, faces) or findings in a frame. */
export interface RegionModel<T> {
  readonly ref: ModelRef;
  detect(frame: RgbFrame): Promise<T[]>;
  /** Results for each frame, in order, where the model can do better than one `detect` a frame. */
  detectBatch?(frames: RgbFrame[]): Promise<T[][]>;
  close(): Promise<void>;
}

/** A text detector that can also read a frame at another scale for one call (TextDetector). */
export interface TextRegionModel extends RegionModel<Box> {
  detectBatch?(frames: RgbFrame[], scale?: TextDetectionScale, times?: StageTimes): Promise<Box[][]>;
}

/**
 * Runs a model on the frames `wanted` picks; the others get no results. `scale`: a text detector's,
 * for this call; `times`: where a text detector adds its stages (see TextDetector.detectBatch).
 */
async function detectWhere<T>(
  model:
    | (RegionModel<T> & {
        detectBatch?(frames: RgbFrame[], scale?: TextDetectionScale, times?: StageTimes): Promise<T[][]>;
      })
    | undefined,
  frames: RgbFrame[],
  wanted: (i: number) => boolean,
  scale?: TextDetectionScale,
  times?: StageTimes,
): Promise<T[][]> {
  const picked = frames.filter((_, i) => wanted(i));
  const empty = frames.map((): T[] => []);
  if (!model || picked.length === 0) return empty;
  let found: T[][];
  if (model.detectBatch) found = await model.detectBatch(picked, scale, times);
  else {
    // One at a time: onnxruntime already spreads one run over the cores.
    found = [];
    for (const frame of picked) found.push(await model.detect(frame));
  }
  if (found.length !== picked.length) {
    throw new Error(`model ${model.ref.id} gave ${found.length} results for ${picked.length} frames`);
  }
  let next = 0;
  return frames.map((_, i) => (wanted(i) ? found[next++]! : empty[i]!));
}

/**
 * How text is turned into masks. `fieldOfView`: find the endoscope's picture (off: the whole frame is
 * the picture). `textLines`: join detector boxes into whole lines and grow them past their ends (off:
 * the detector's boxes as they are, the old way). `recognise`: which lines a recogniser must confirm
 * before they are masked: those inside the picture (default), all, or none (every line masked).
 */
export interface PrivacyAnalysisOptions {
  fieldOfView: boolean;
  textLines: boolean;
  recognise: 'inside-picture' | 'everywhere' | 'never';
}

export const defaultPrivacyAnalysis: PrivacyAnalysisOptions = {
  fieldOfView: true,
  textLines: true,
  recognise: 'inside-picture',
};

export interface FrameAnalyzerParts {
  /** Burned-in text (always run: the tower's on-screen display). */
  textDetector?: TextRegionModel;
  /**
   * The scale of a light text scan (LIGHT_SCAN_SCALE), for frames the caller marks `light`; absent:
   * every frame is scanned in full (the detector stretched for comparison has no light scan).
   */
  lightTextScale?: TextDetectionScale;
  /** Reads text lines inside the picture, so that highlights and texture are not masked as text. */
  textRecogniser?: TextRecogniser;
  /**
   * Faces, on every frame: masked wherever they are, and a face means the view is not inside the body.
   * Large ones only on frames not searched for text (see analyseBatch).
   */
  faceDetector?: RegionModel<Box> & { detect(frame: RgbFrame, reach?: FaceReach): Promise<Box[]> };
  /** Clinical findings (polyps), run on in-body frames. */
  polypDetector?: RegionModel<Detection>;
  /** Models that are configured but could not load, with the reason; reported on every frame. */
  modelsOff: { id: string; reason: string }[];
  thresholds?: QualityThresholds;
  privacy?: Partial<PrivacyAnalysisOptions>;
}

/** How a frame is searched for text (FrameAnalysis.scan); `none` also searches only for large faces. */
export type Scan = 'full' | 'light' | 'none';

/** Grid step for image quality: about 256 samples across, as a 512 px frame sampled every 2 px had. */
const qualityStep = (width: number) => Math.max(2, Math.round(width / 256));

/** Runs image quality and every loaded model on a frame or a batch of frames. */
export class FrameAnalyzer {
  private readonly privacy: PrivacyAnalysisOptions;
  private readonly confirmedText = new ConfirmedTextLines();

  constructor(private readonly parts: FrameAnalyzerParts) {
    this.privacy = { ...defaultPrivacyAnalysis, ...parts.privacy };
  }

  /** The models in use, for health and status. */
  get models(): ModelRef[] {
    const { textDetector, textRecogniser, faceDetector, polypDetector } = this.parts;
    return [textDetector, textRecogniser, faceDetector, polypDetector]
      .filter((m) => m !== undefined)
      .map((m) => m.ref);
  }

  get modelsOff() {
    return this.parts.modelsOff;
  }

  /** Analyses one frame (a batch of one), its text scanned in full. */
  async analyse(frame: RgbFrame): Promise<FrameAnalysis> {
    return (await this.analyseBatch([frame]))[0]!;
  }

  /**
   * Analyses frames together, one analysis each, in order, equal to analysing them one by one: the
   * picture (field of view) and image quality for each; text and faces on all; polyps on those whose
   * picture looks like the inside of the body. A frame with a face in its picture is never in the body. Text lines
   * inside the picture are masked only when the recogniser reads characters in them. `latencyMs` of
   * each analysis is the whole batch's time. Throws a RangeError for a frame whose buffer cannot hold
   * its picture. `requested` (one a frame, default all `full`): `light` frames are searched for text
   * at LIGHT_SCAN_SCALE (ScanCadence picks them
   * on a live source, where a full scan of every frame would not keep up on a CPU); what full scans
   * find is held by the recorder in between, and its delay covers the interval (see scan-cadence.ts);
   * `none` frames are not searched for text at all (a recording already de-identified). `times`, where
   * given, gets the batch's time by stage (ms): `picture` (field of view, colour, quality), the text
   * detector's `text-full.*` and `text-light.*` (`tensor`, `inference`, `boxes`), `faces`, `polyps`,
   * `text-lines` (lines joined, grown, read by the recogniser) and `result`.
   */
  async analyseBatch(
    frames: RgbFrame[],
    requested?: readonly Scan[],
    times?: StageTimes,
  ): Promise<FrameAnalysis[]> {
    const started = performance.now();
    for (const frame of frames) checkRgbFrame(frame);
    const { textDetector, faceDetector, polypDetector, lightTextScale } = this.parts;
    const scans: Scan[] = frames.map((_, i) =>
      requested?.[i] === 'none' ? 'none' : lightTextScale && requested?.[i] === 'light' ? 'light' : 'full',
    );
    const thresholds = this.parts.thresholds ?? defaultQualityThresholds;
    const grids = frames.map((frame) => colourGrid(frame));
    const pictures = grids.map((grid) => (this.privacy.fieldOfView ? estimateFieldOfView(grid) : undefined));
    const colour = grids.map((grid, i) => {
      const picture = pictures[i];
      return judgeInBodyColour(
        grid,
        picture?.inside ?? new Uint8Array(grid.cols * grid.rows).fill(1),
        picture?.bordered ?? false,
      );
    });
    const qualities = frames.map((frame) => assessQuality(frame, thresholds, qualityStep(frame.width)));
    addStageTime(times, 'picture', performance.now() - started);
    // One model after another: onnxruntime runs each inference synchronously on this thread (spread
    // over its own pool), so models never ran side by side; in turn, each one's time is its own.
    const fullTimes: StageTimes | undefined = times && {};
    const fullText = await detectWhere(
      textDetector,
      frames,
      (i) => scans[i] === 'full',
      undefined,
      fullTimes,
    );
    const lightTimes: StageTimes | undefined = times && {};
    const lightText = await detectWhere(
      textDetector,
      frames,
      (i) => scans[i] === 'light',
      lightTextScale,
      lightTimes,
    );
    // Only the models loaded have a stage.
    // Faces of every size on frames searched for text (full or light). A frame not searched for text
    // comes from a recording de-identified as it was written (the hub's pass over a room's recording):
    // there only large faces are searched for (a fifth of the work), which say that the view is of
    // the room and not inside the body; small print and small faces were the room's to mask.
    const faces = await timeStage(faceDetector && times, 'faces', async () => {
      const found: Box[][] = [];
      for (const [i, frame] of frames.entries()) {
        found.push(
          faceDetector ? await faceDetector.detect(frame, scans[i] === 'none' ? 'large' : 'all') : [],
        );
      }
      return found;
    });
    const detections = await timeStage(polypDetector && times, 'polyps', () =>
      detectWhere(polypDetector, frames, (i) => colour[i]!.inBody),
    );
    for (const [scan, stages] of [
      ['full', fullTimes],
      ['light', lightTimes],
    ] as const) {
      for (const [stage, ms] of Object.entries(stages ?? {}))
        addStageTime(times, `text-${scan}.${stage}`, ms);
    }
    const text = frames.map((_, i) =>
      scans[i] === 'full' ? fullText[i]! : scans[i] === 'light' ? lightText[i]! : [],
    );
    const regions = await timeStage(times, 'text-lines', () =>
      Promise.all(frames.map((frame, i) => this.textRegions(frame, text[i]!, pictures[i]))),
    );
    const modelsDone = performance.now();
    const latencyMs = +(modelsDone - started).toFixed(2);
    const analyses = frames.map((frame, i) => {
      const picture = pictures[i];
      // A scope inside the body never sees a face: one in the picture means the view is of the room.
      // (One outside it, a tower's picture-in-picture say, is masked as a face and no more.)
      const faceInPicture = faces[i]!.some(
        (f) => !picture || insidePolygon(picture.polygon, { x: f.x + f.w / 2, y: f.y + f.h / 2 }),
      );
      const inBody = colour[i]!.inBody && !faceInPicture;
      return {
        frameIndex: frame.index,
        ptsMs: frame.ptsMs,
        width: frame.width,
        height: frame.height,
        quality: {
          ...qualities[i]!,
          inBody: inBody && qualities[i]!.brightness >= thresholds.underExposed,
        },
        ...(picture ? { fieldOfView: { polygon: picture.polygon, bordered: picture.bordered } } : {}),
        ...(textDetector ? { scan: scans[i]! } : {}),
        privacyRegions: [
          ...regions[i]!,
          ...faces[i]!.map((b) => ({ ...growBox(b, FACE_MARGIN), kind: 'face' as const })),
        ],
        detections: inBody ? detections[i]! : [],
        models: this.models,
        modelsOff: this.parts.modelsOff,
        latencyMs,
      };
    });
    addStageTime(times, 'result', performance.now() - modelsDone);
    return analyses;
  }

  /**
   * A frame's text as regions to mask: whole lines, grown (see text-lines.ts), each with what the
   * recogniser said where it was asked (`recognised`); absent where it was not asked or could not
   * run, and then the line is masked all the same (failing closed).
   */
  private async textRegions(frame: RgbFrame, boxes: Box[], picture: FieldOfViewEstimate | undefined) {
    const { textLines, recognise } = this.privacy;
    if (!textLines) return boxes.map((b) => ({ ...b, kind: 'text' as const }));
    const lines = joinTextLines(boxes, frame);
    const asked =
      recognise === 'never' || !this.parts.textRecogniser
        ? lines.map(() => false)
        : recognise === 'everywhere' || !picture?.bordered
          ? lines.map(() => true)
          : lines.map((line) => boxShareInside(picture.polygon, line) >= INSIDE_SHARE);
    // A line read as text moments ago, found again in place, is not read again (see ConfirmedTextLines).
    const known = lines.map((line, i) => asked[i] && this.confirmedText.covers(line, frame, frame.ptsMs));
    const toRead = lines.filter((_, i) => asked[i] && !known[i]);
    let readings: { isText: boolean }[] | undefined;
    try {
      readings = toRead.length ? await this.parts.textRecogniser!.read(frame, toRead) : [];
    } catch {
      readings = undefined;
    }
    toRead.forEach((line, i) => {
      if (readings?.[i]?.isText) this.confirmedText.confirmed(line, frame, frame.ptsMs);
    });
    let next = 0;
    return lines.map((line, i) => {
      const reading = known[i] ? { isText: true } : asked[i] ? readings?.[next++] : undefined;
      return {
        ...growTextLine(line, frame),
        kind: 'text' as const,
        ...(reading ? { recognised: reading.isText } : {}),
      };
    });
  }

  /**
   * Runs every loaded model once on a blank frame of this size (a full and a light scan, a text line
   * for the recogniser), so that onnxruntime's first runs (weights prepared, memory planned: seconds
   * on a CPU) happen before the first frame of a procedure, not during it. Returns the time taken (ms).
   */
  async warmUp(size: { width: number; height: number }): Promise<number> {
    const started = performance.now();
    const { width, height } = size;
    const stride = rgbStride(width);
    const frame: RgbFrame = {
      data: new Uint8Array(stride * height).fill(128),
      width,
      height,
      stride,
      index: 0,
      ptsMs: 0,
    };
    await this.analyseBatch([frame], ['full']);
    if (this.parts.lightTextScale) await this.analyseBatch([frame], ['light']);
    await this.parts.textRecogniser?.read(frame, [{ x: 0.1, y: 0.1, w: 0.3, h: 0.04 }]);
    await this.parts.polypDetector?.detect(frame);
    return Math.round(performance.now() - started);
  }

  async close(): Promise<void> {
    const { textDetector, textRecogniser, faceDetector, polypDetector } = this.parts;
    await Promise.all([
      textDetector?.close(),
      textRecogniser?.close(),
      faceDetector?.close(),
      polypDetector?.close(),
    ]);
  }
}
