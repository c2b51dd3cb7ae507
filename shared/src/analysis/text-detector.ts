import type { RgbFrame } from '../media/frame.js';
import type { Box, ModelRef } from '../messages/events.js';
import { type BatchSupport, inputBatchSupport } from './batch-runner.js';
import type { ResolvedModel } from './model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from './onnx-session.js';
import { passTensor } from './pass-tensor.js';
import { defaultMapBoxOptions, probabilityMapToBoxes } from './probability-map-boxes.js';
import { addStageTime, type StageTimes } from './stage-times.js';
import { TensorStorage } from './tensor-storage.js';

/** Finds burned-in text (a DB-style detector such as PP-OCR det) so that it can be masked. */
export interface TextDetector {
  readonly ref: ModelRef;
  /** Whether the model runs several passes at once (known after the first batch when `unknown`). */
  readonly batchSupport: BatchSupport;
  detect(frame: RgbFrame): Promise<Box[]>;
  /**
   * Text boxes for each frame, in order; passes of one size run together when the model takes a batch.
   * `scale` overrides the detector's own for this call (a light scan: LIGHT_SCAN_SCALE). `times`, where
   * given, gets the call's `tensor` (scale and normalise), `inference` and `boxes` (map to boxes) ms.
   */
  detectBatch(frames: RgbFrame[], scale?: TextDetectionScale, times?: StageTimes): Promise<Box[][]>;
  close(): Promise<void>;
}

/**
 * How a frame is given to the detector. Small print must keep enough pixels: a 1280x1024 frame fitted
 * into 512x288 shrinks 25 px glyphs to 7 px and only the middle of each line is found. So the frame is
 * scaled with its aspect kept, never below `minScale`, and tiled where one pass would exceed `maxSide`.
 */
export interface TextDetectionScale {
  /** Longest side of one pass at the detector's input (px, a multiple of 32). */
  maxSide: number;
  /** Fewest detector pixels per frame pixel: 0.66 keeps a 10 px glyph at 6.6 px, which PP-OCRv4 finds whole. */
  minScale: number;
  /**
   * The old way, for comparison only: the whole frame stretched into this fixed size, aspect not kept
   * (see GIC_PRIVACY_LAYERS_OFF=resolution).
   */
  stretchTo?: { width: number; height: number };
}

export const defaultDetectionScale: TextDetectionScale = { maxSide: 1280, minScale: 0.66 };

/**
 * A light scan between full ones: the whole frame with its aspect kept, its longest side at 512 px
 * (a 1280x720 frame at 0.4, the work the detector did per frame before it kept small print). Banner
 * lines are found; small print waits for the next full scan.
 */
export const LIGHT_SCAN_SCALE: TextDetectionScale = { maxSide: 512, minScale: 0.05 };

/** Throws for a scale the planner cannot use. */
function checkScale(id: string, scale: TextDetectionScale): void {
  if (scale.maxSide % 32 !== 0 || scale.minScale <= 0 || scale.minScale > 1) {
    throw new Error(`model ${id}: pass size must be a multiple of 32 and scale in (0, 1]`);
  }
}

/** The input size the detector had before it kept small print (px). */
export const STRETCHED_INPUT = { width: 512, height: 288 };

/** One detector pass: a rectangle of the frame (px) and the scale it is read at. */
export interface DetectionPass {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Detector px per frame px, each way. */
  scaleX: number;
  scaleY: number;
  /** The pass's input size (px, multiples of 32): the scaled rectangle, padded with black right and below. */
  inputWidth: number;
  inputHeight: number;
}

/** Overlap of neighbouring tiles (px at the detector): more than the tallest line, so each line lies whole in one. */
const TILE_OVERLAP = 96;
const up32 = (v: number) => Math.max(32, Math.ceil(v / 32) * 32);

/** The passes that cover a `width` x `height` frame at the given scale (see TextDetectionScale). */
export function planPasses(width: number, height: number, scale: TextDetectionScale): DetectionPass[] {
  if (scale.stretchTo) {
    const { width: w, height: h } = scale.stretchTo;
    return [
      {
        x0: 0,
        y0: 0,
        x1: width,
        y1: height,
        scaleX: w / width,
        scaleY: h / height,
        inputWidth: w,
        inputHeight: h,
      },
    ];
  }
  const s = Math.min(1, Math.max(scale.minScale, scale.maxSide / Math.max(width, height)));
  // Tiles of at most maxSide detector px, overlapping by TILE_OVERLAP, spread evenly over the frame.
  const tile = Math.floor(scale.maxSide / s);
  const overlap = TILE_OVERLAP / s;
  const cuts = (length: number) => {
    if (length <= tile) return [[0, length]] as [number, number][];
    const n = Math.ceil((length - overlap) / (tile - overlap));
    const step = (length - tile) / (n - 1);
    return Array.from({ length: n }, (_, i) => {
      const start = Math.round(i * step);
      return [start, start + tile] as [number, number];
    });
  };
  const passes: DetectionPass[] = [];
  for (const [y0, y1] of cuts(height)) {
    for (const [x0, x1] of cuts(width)) {
      passes.push({
        x0,
        y0,
        x1: Math.min(width, x1),
        y1: Math.min(height, y1),
        scaleX: s,
        scaleY: s,
        inputWidth: up32((Math.min(width, x1) - x0) * s),
        inputHeight: up32((Math.min(height, y1) - y0) * s),
      });
    }
  }
  return passes;
}

/** Loads a text-detection model whose manifest output kind is `probability-map` (any input size, multiples of 32). */
export async function loadTextDetector(
  model: ResolvedModel,
  preferred?: ExecutionProviderName[],
  scale: TextDetectionScale = defaultDetectionScale,
  /** Threads of one model run on the CPU; onnxruntime's default where absent. */
  intraOpNumThreads?: number,
): Promise<TextDetector> {
  const { manifest } = model;
  if (manifest.task !== 'text-detection' || manifest.output.kind !== 'probability-map') {
    throw new Error(`model ${manifest.id} is not a probability-map text detector`);
  }
  checkScale(manifest.id, scale);
  const { session, executionProvider } = await createOnnxSession(
    model.modelPath,
    preferred,
    intraOpNumThreads,
  );
  const { input, output } = manifest;
  const options = { ...defaultMapBoxOptions, threshold: output.threshold };
  let support = inputBatchSupport(session, input.name);
  // Input tensors written in place run after run (fresh ones cost more than the writing itself).
  const storage = new TensorStorage();

  /** Runs passes of one input size, together when the model takes a batch: boxes in frame px for each. */
  const runPasses = async (
    frames: RgbFrame[],
    passes: DetectionPass[],
    times: StageTimes | undefined,
  ): Promise<Box[][]> => {
    const { inputWidth: W, inputHeight: H } = passes[0]!;
    const started = times && performance.now();
    const size = 3 * W * H;
    const data = storage.take(size * passes.length);
    let result: ort.InferenceSession.OnnxValueMapType;
    let prepared: number | undefined;
    try {
      passes.forEach((pass, i) => {
        passTensor(frames[i]!, pass, input, data, i * size);
      });
      const dims = input.layout === 'NCHW' ? [passes.length, 3, H, W] : [passes.length, H, W, 3];
      prepared = times && performance.now();
      result = await session.run({ [input.name]: new ort.Tensor('float32', data, dims) });
    } finally {
      storage.give(data);
    }
    const inferred = times && performance.now();
    const map = result[output.name];
    if (!map) throw new Error(`model ${manifest.id} has no output ${output.name}`);
    const [mh, mw] = map.dims.slice(-2) as [number, number];
    const values = map.data as Float32Array;
    if (values.length !== mw * mh * passes.length) {
      throw new Error(`model ${manifest.id}: output dims [${map.dims}] for ${passes.length} passes`);
    }
    const boxes = passes.map((pass, i) =>
      probabilityMapToBoxes(values.subarray(i * mw * mh, (i + 1) * mw * mh), mw, mh, options).map((b) => {
        // Map px -> pass input px -> frame px, clipped to the pass's own rectangle.
        const fx0 = Math.max(pass.x0, pass.x0 + (b.x * W) / pass.scaleX);
        const fy0 = Math.max(pass.y0, pass.y0 + (b.y * H) / pass.scaleY);
        const fx1 = Math.min(pass.x1, pass.x0 + ((b.x + b.w) * W) / pass.scaleX);
        const fy1 = Math.min(pass.y1, pass.y0 + ((b.y + b.h) * H) / pass.scaleY);
        return { x: fx0, y: fy0, w: Math.max(0, fx1 - fx0), h: Math.max(0, fy1 - fy0) };
      }),
    );
    if (times) {
      addStageTime(times, 'tensor', prepared! - started!);
      addStageTime(times, 'inference', inferred! - prepared!);
      addStageTime(times, 'boxes', performance.now() - inferred!);
    }
    return boxes;
  };

  const detectBatch = async (
    frames: RgbFrame[],
    callScale?: TextDetectionScale,
    times?: StageTimes,
  ): Promise<Box[][]> => {
    if (callScale) checkScale(manifest.id, callScale);
    const passScale = callScale ?? scale;
    const jobs = frames.flatMap((frame, f) =>
      planPasses(frame.width, frame.height, passScale).map((pass) => ({ frame, f, pass })),
    );
    const found: Box[][] = frames.map(() => []);
    const bySize = new Map<string, typeof jobs>();
    for (const job of jobs) {
      const key = `${job.pass.inputWidth}x${job.pass.inputHeight}`;
      bySize.set(key, [...(bySize.get(key) ?? []), job]);
    }
    for (const group of bySize.values()) {
      let results: Box[][];
      if (group.length > 1 && support !== 'fixed') {
        try {
          results = await runPasses(
            group.map((j) => j.frame),
            group.map((j) => j.pass),
            times,
          );
          support = 'dynamic';
        } catch (err) {
          if (support === 'dynamic') throw err;
          support = 'fixed';
          results = [];
        }
      } else results = [];
      if (results.length === 0) {
        for (const job of group) results.push(...(await runPasses([job.frame], [job.pass], times)));
      }
      group.forEach((job, i) => {
        const { width, height } = job.frame;
        for (const b of results[i]!)
          found[job.f]!.push({ x: b.x / width, y: b.y / height, w: b.w / width, h: b.h / height });
      });
    }
    return found;
  };

  return {
    ref: { id: manifest.id, version: manifest.version, executionProvider },
    get batchSupport() {
      return support;
    },
    detect: async (frame) => (await detectBatch([frame]))[0]!,
    detectBatch,
    close: () => session.release(),
  };
}
