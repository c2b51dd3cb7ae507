import { readFileSync } from 'node:fs';
import type { RgbFrame } from '../../media/frame.js';
import type { Box, ModelRef } from '../../messages/events.js';
import type { ResolvedModel } from '../model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from '../onnx-session.js';

/** What the recogniser read in one region. */
export interface Reading {
  text: string;
  /** Mean confidence of the characters read (0..1); 0 when none. */
  confidence: number;
  /** Enough confident letters or digits to be text; false: a highlight or texture. */
  isText: boolean;
}

/** Reads text (a CTC recogniser such as PP-OCR rec) to confirm that a detected region holds characters. */
export interface TextRecogniser {
  readonly ref: ModelRef;
  /** One reading for each region (normalised) of the frame, in order; one model run for them all. */
  read(frame: RgbFrame, regions: readonly Box[]): Promise<Reading[]>;
  close(): Promise<void>;
}

/** Fewest confident letters or digits in a region that is text: one alone may be a highlight's shape. */
export const MIN_CHARACTERS = 2;
/**
 * Least mean confidence over everything read in a region that is text. Print reads at 0.95 or more,
 * even 10 px glyphs; highlights and vessels read as strings of marks at 0.3 to 0.7.
 */
export const MIN_MEAN_CONFIDENCE = 0.8;
/** Least share of letters and digits among the characters read (highlights read as punctuation). */
const MIN_ALNUM_SHARE = 0.5;
/** Widest crop the recogniser is given (px at its 48 px height): a longer line is squeezed into it. */
const MAX_CROP_WIDTH = 1280;
/** Padding around a region before it is read, as a share of its height: glyph edges the box clipped. */
const CROP_PAD = 0.15;

/**
 * Decodes a CTC output (T steps x C classes, class 0 blank) into characters with their confidence:
 * the best class at each step, repeats collapsed, blanks dropped.
 */
export function decodeCtc(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
): { chars: string[]; confidences: number[] } {
  const chars: string[] = [];
  const confidences: number[] = [];
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -1;
    for (let c = 0; c < classes; c++) {
      const p = probs[t * classes + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      chars.push(charset[best - 1] ?? '');
      confidences.push(bestP);
    }
    previous = best;
  }
  return { chars, confidences };
}

/** Whether characters read with these confidences make text (see MIN_CHARACTERS), at `minConfidence` each. */
export function judgeReading(chars: string[], confidences: number[], minConfidence: number): Reading {
  const text = chars.join('');
  const confidence = confidences.length ? confidences.reduce((a, b) => a + b, 0) / confidences.length : 0;
  const alnum = (c: string) => /[\p{L}\p{N}]/u.test(c);
  const solid = chars.filter((c, i) => confidences[i]! >= minConfidence && alnum(c)).length;
  const isText =
    solid >= MIN_CHARACTERS &&
    confidence >= MIN_MEAN_CONFIDENCE &&
    chars.filter(alnum).length >= MIN_ALNUM_SHARE * chars.filter((c) => c.trim()).length;
  return { text, confidence: +confidence.toFixed(3), isText };
}

/**
 * Loads a CTC text recogniser whose manifest task is `text-recognition` and output kind `ctc`; its
 * second file is the character list, one a line (class i is line i; the last class a space).
 */
export async function loadTextRecogniser(
  model: ResolvedModel,
  preferred?: ExecutionProviderName[],
  /** Threads of one model run; onnxruntime's default (all cores) where absent. */
  intraOpNumThreads?: number,
): Promise<TextRecogniser> {
  const { manifest } = model;
  const { id, input, output } = manifest;
  if (manifest.task !== 'text-recognition' || output.kind !== 'ctc') {
    throw new Error(`model ${id} is not a CTC text recogniser`);
  }
  const charsetPath = model.filePaths[1];
  if (!charsetPath) throw new Error(`model ${id}: the manifest names no character list (second file)`);
  const charset = [
    ...readFileSync(charsetPath, 'utf8').replace(/\r/g, '').replace(/\n$/, '').split('\n'),
    ' ',
  ];
  const { session, executionProvider } = await createOnnxSession(
    model.modelPath,
    preferred,
    intraOpNumThreads,
  );
  const H = input.height;
  const bgr = input.colorOrder === 'BGR';
  type Crop = { x0: number; y0: number; w: number; h: number; width: number };
  /** Reads crops of similar width in one run, padded to the widest. */
  const readBatch = async (frame: RgbFrame, crops: Crop[]): Promise<Reading[]> => {
    const W = Math.max(...crops.map((c) => c.width));
    const plane = H * W;
    // Padding is 0 after normalisation (mid grey), as the recogniser was trained.
    const data = new Float32Array(crops.length * 3 * plane);
    crops.forEach((c, n) => {
      for (let y = 0; y < H; y++) {
        const sy = Math.min(frame.height - 1, c.y0 + Math.floor(((y + 0.5) * c.h) / H));
        for (let x = 0; x < c.width; x++) {
          const sx = Math.min(frame.width - 1, c.x0 + Math.floor(((x + 0.5) * c.w) / c.width));
          const p = sy * frame.stride + sx * 3;
          for (let ch = 0; ch < 3; ch++) {
            const v = frame.data[p + (bgr ? 2 - ch : ch)]! / 255;
            data[n * 3 * plane + ch * plane + y * W + x] =
              (v - input.mean[ch as 0 | 1 | 2]) / input.std[ch as 0 | 1 | 2];
          }
        }
      }
    });
    const result = await session.run({
      [input.name]: new ort.Tensor('float32', data, [crops.length, 3, H, W]),
    });
    const out = result[output.name];
    if (!out) throw new Error(`model ${id} has no output ${output.name}`);
    const [n, steps, classes] = out.dims as [number, number, number];
    if (n !== crops.length || classes !== charset.length + 1) {
      throw new Error(
        `model ${id}: output dims [${out.dims}] do not fit ${crops.length} crops and ${charset.length} characters`,
      );
    }
    const probs = out.data as Float32Array;
    return crops.map((crop, i) => {
      // A crop narrower than the batch's widest reads padding at its end: only its own steps count.
      const own = Math.max(1, Math.ceil((steps * crop.width) / W));
      const { chars, confidences } = decodeCtc(
        probs.subarray(i * steps * classes, (i * steps + own) * classes),
        own,
        classes,
        charset,
      );
      return judgeReading(chars, confidences, output.threshold);
    });
  };

  return {
    ref: { id, version: manifest.version, executionProvider },
    async read(frame, regions) {
      const crops: Crop[] = regions.map((box) => {
        const pad = box.h * CROP_PAD;
        const x0 = Math.max(0, Math.floor((box.x - (pad * frame.height) / frame.width) * frame.width));
        const x1 = Math.min(
          frame.width,
          Math.ceil((box.x + box.w + (pad * frame.height) / frame.width) * frame.width),
        );
        const y0 = Math.max(0, Math.floor((box.y - pad) * frame.height));
        const y1 = Math.min(frame.height, Math.ceil((box.y + box.h + pad) * frame.height));
        const w = Math.max(1, x1 - x0);
        const h = Math.max(1, y1 - y0);
        return { x0, y0, w, h, width: Math.max(8, Math.min(MAX_CROP_WIDTH, Math.round((w * H) / h))) };
      });
      // Crops in runs of similar width, so that a short one is not padded to a banner's width.
      const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width - crops[b]!.width);
      const readings: Reading[] = new Array(crops.length);
      for (let start = 0; start < order.length; ) {
        let end = start + 1;
        while (end < order.length && crops[order[end]!]!.width <= 1.5 * crops[order[start]!]!.width) end++;
        const batch = order.slice(start, end);
        const read = await readBatch(
          frame,
          batch.map((i) => crops[i]!),
        );
        batch.forEach((i, k) => {
          readings[i] = read[k]!;
        });
        start = end;
      }
      return readings;
    },
    close: () => session.release(),
  };
}
