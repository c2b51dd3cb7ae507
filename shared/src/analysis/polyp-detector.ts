/**
 * Runs an operator-supplied polyp detector (see models/POLYP-CONTRACT.md).
 *
 * Contract: manifest task `polyp-detection`, output kind `boxes`. The model takes one image tensor
 * as the manifest's `input` describes (the frame is stretched to width x height, no letterbox, so
 * normalised coordinates map straight back onto the frame) and gives, for N candidates:
 * - `output.names.boxes`: float [1,N,4], normalised x,y,w,h (0..1 of input width and height);
 * - `output.names.scores` (else `output.name`): float [1,N], 0..1;
 * - `output.names.labels`, optional: [1,N] int64 or float indexes into `output.labels`
 *   (without it every candidate is class 0).
 * A model whose input batch dimension is dynamic is run once for a batch of B frames and gives the
 * same outputs with B in place of 1; any other model is run once a frame.
 * Candidates with score >= `output.threshold` become detections, boxes clipped to 0..1, sorted by
 * score (highest first), at most MAX_POLYP_DETECTIONS. `output.names.masks` is ignored.
 * Task `polyp-segmentation` (kind `masks`) is not supported yet and is refused at load.
 */
import type { RgbFrame } from '../media/frame.js';
import type { Detection, ModelRef } from '../messages/events.js';
import { BatchRunner, type BatchSupport, inputBatchSupport } from './batch-runner.js';
import { framesToTensorData, inputDims } from './image-tensor.js';
import { ModelUnavailableError, type ResolvedModel } from './model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from './onnx-session.js';

/** Most detections returned for one frame; more would be noise to the endoscopist. */
export const MAX_POLYP_DETECTIONS = 100;

/** Finds polyps in a frame with an ONNX box detector. */
export interface PolypDetector {
  readonly ref: ModelRef;
  /** Whether the model runs a batch of frames at once (known after the first batch when `unknown`). */
  readonly batchSupport: BatchSupport;
  /** Detections in normalised frame coordinates, highest score first. */
  detect(frame: RgbFrame): Promise<Detection[]>;
  /** Detections for each frame, in order; one model run when the model takes a batch. */
  detectBatch(frames: RgbFrame[]): Promise<Detection[][]>;
  close(): Promise<void>;
}

/** Raw per-candidate model outputs, already flattened to numbers. */
export interface RawDetections {
  /** 4 numbers a candidate: normalised x, y, w, h. */
  boxes: ArrayLike<number>;
  /** One 0..1 score a candidate. */
  scores: ArrayLike<number>;
  /** One class index a candidate, into `labels`; absent means class 0. */
  classes?: ArrayLike<number>;
}

/** How raw candidates become detections. */
export interface DecodeOptions {
  modelId: string;
  labels: readonly string[];
  /** Minimum score kept, 0..1. */
  threshold: number;
  limit?: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Name for a class index: its manifest label, or `class N` when the manifest has none for it. */
function labelFor(labels: readonly string[], index: number): string {
  if (Number.isInteger(index) && index >= 0)
    return labels[index] ?? (index === 0 ? 'polyp' : `class ${index}`);
  return `class ${index}`;
}

/**
 * Turns raw candidates into detections: drops those under the threshold or with non-finite numbers,
 * clips boxes to the image (dropping any left with no area), sorts by score and keeps the best `limit`.
 */
export function decodeDetections(raw: RawDetections, options: DecodeOptions): Detection[] {
  const { boxes, scores, classes } = raw;
  if (boxes.length !== scores.length * 4) {
    throw new Error(`model ${options.modelId}: ${boxes.length / 4} boxes for ${scores.length} scores`);
  }
  if (classes && classes.length !== scores.length) {
    throw new Error(`model ${options.modelId}: ${classes.length} labels for ${scores.length} scores`);
  }
  const found: Detection[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (!Number.isFinite(score) || score < options.threshold) continue;
    const [x, y, w, h] = [boxes[i * 4]!, boxes[i * 4 + 1]!, boxes[i * 4 + 2]!, boxes[i * 4 + 3]!];
    if (![x, y, w, h].every(Number.isFinite)) continue;
    const x0 = clamp01(x);
    const y0 = clamp01(y);
    const x1 = clamp01(x + w);
    const y1 = clamp01(y + h);
    if (x1 <= x0 || y1 <= y0) continue; // wholly outside the image, or empty
    found.push({
      label: labelFor(options.labels, classes ? classes[i]! : 0),
      score: clamp01(score),
      box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 },
      modelId: options.modelId,
    });
  }
  found.sort((a, b) => b.score - a.score);
  return found.slice(0, options.limit ?? MAX_POLYP_DETECTIONS);
}

/** A tensor's elements as numbers, split into one equal part per image of the batch; int64 labels arrive as bigint. */
function perImage(tensor: ort.Tensor, what: string, batch: number): ArrayLike<number>[] {
  const data = tensor.data;
  if (Array.isArray(data)) throw new Error(`output ${what} holds strings, not numbers`);
  const numbers =
    data instanceof BigInt64Array || data instanceof BigUint64Array
      ? Float64Array.from(data, Number)
      : (data as Exclude<typeof data, string[] | BigInt64Array | BigUint64Array>);
  if (tensor.dims[0] !== batch || numbers.length % batch !== 0) {
    throw new Error(`output ${what} has dims [${tensor.dims}] for a batch of ${batch}`);
  }
  const size = numbers.length / batch;
  return Array.from({ length: batch }, (_, i) => numbers.subarray(i * size, (i + 1) * size));
}

/** Loads a polyp detector; refuses a manifest or model that does not fit the contract above. */
export async function loadPolypDetector(
  model: ResolvedModel,
  preferred?: ExecutionProviderName[],
): Promise<PolypDetector> {
  const { manifest } = model;
  const { input, output } = manifest;
  if (manifest.task === 'polyp-segmentation' || output.kind === 'masks') {
    throw new ModelUnavailableError(
      manifest.id,
      `polyp segmentation (task ${manifest.task}, output kind ${output.kind}) is not supported yet; use a polyp-detection model with output kind boxes`,
    );
  }
  if (manifest.task !== 'polyp-detection' || output.kind !== 'boxes') {
    throw new ModelUnavailableError(
      manifest.id,
      `task ${manifest.task} with output kind ${output.kind} is not a polyp detector (needs task polyp-detection, kind boxes)`,
    );
  }
  const boxesName: string | undefined = output.names?.boxes;
  const scoresName: string = output.names?.scores ?? output.name;
  const labelsName: string | undefined = output.names?.labels;
  if (!boxesName) throw new ModelUnavailableError(manifest.id, 'output.names.boxes is required');

  const { session, executionProvider } = await createOnnxSession(model.modelPath, preferred);
  const wanted: [string, string | undefined][] = [
    ['boxes', boxesName],
    ['scores', scoresName],
    ['labels', labelsName],
  ];
  const missing = wanted.filter(([, name]) => name !== undefined && !session.outputNames.includes(name));
  const problems = missing.map(([role, name]) => `output ${name} (${role}) not found`);
  if (!session.inputNames.includes(input.name)) problems.unshift(`input ${input.name} not found`);
  if (problems.length) {
    await session.release();
    throw new ModelUnavailableError(
      manifest.id,
      `${problems.join('; ')}; the model has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}`,
    );
  }

  const fetches = [boxesName, scoresName, ...(labelsName ? [labelsName] : [])];
  const decode = { modelId: manifest.id, labels: output.labels, threshold: output.threshold };
  const runner = new BatchRunner(inputBatchSupport(session, input.name), async (frames) => {
    const data = framesToTensorData(frames, input);
    const feed = { [input.name]: new ort.Tensor('float32', data, inputDims(input, frames.length)) };
    const result = await session.run(feed, fetches);
    const split = (name: string) => {
      const t = result[name];
      if (!t) throw new Error(`model ${manifest.id} gave no output ${name}`);
      return perImage(t, name, frames.length);
    };
    const boxDims = result[boxesName]?.dims;
    if (boxDims && boxDims.at(-1) !== 4) {
      throw new Error(`model ${manifest.id}: output ${boxesName} has dims [${boxDims}], want [batch,N,4]`);
    }
    const boxes = split(boxesName);
    const scores = split(scoresName);
    const classes = labelsName ? split(labelsName) : undefined;
    return frames.map((_, i) =>
      decodeDetections(
        { boxes: boxes[i]!, scores: scores[i]!, ...(classes ? { classes: classes[i]! } : {}) },
        decode,
      ),
    );
  });
  return {
    ref: { id: manifest.id, version: manifest.version, executionProvider },
    get batchSupport() {
      return runner.support;
    },
    detect: async (frame) => (await runner.run([frame]))[0]!,
    detectBatch: (frames) => runner.run(frames),
    close: () => session.release(),
  };
}
