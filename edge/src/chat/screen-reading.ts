import { burnMask } from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { TextRecogniser } from '@gic/shared/analysis/privacy/text-recogniser.js';
import type { ScreenFrame } from '@gic/shared/chat/chat-service.js';
import { splitScreenText } from '@gic/shared/chat/screen-identifiers.js';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { letterboxRgb } from '@gic/shared/media/resize-rgb.js';
import type { Box, FrameAnalysis } from '@gic/shared/messages/events.js';

/** What the screen shows when a question is asked: its picture and what the live analysis found on it. */
export interface ScreenSnapshot {
  /** The latest preview (JPEG), as the room sees it: unmasked. */
  jpeg: Buffer;
  /** The latest analyses of the live video, newest first (the latest, and the last full text scan). */
  analyses: readonly FrameAnalysis[];
  /** The device's learned and edited on-screen-display layout (normalised). */
  layout: readonly Box[];
}

export interface ScreenReadingOptions {
  /** The picture size the model is given. */
  modelImage: { width: number; height: number };
  /** Most lines read per question: a tower shows a dozen or two. */
  maxRegions?: number;
  /** Longest wait for the recogniser (ms): past it the model gets no on-screen text. */
  readTimeoutMs?: number;
  /** Longest wait for the preview's decoding (ms). */
  decodeTimeoutMs?: number;
}

/** What one question's screen reading gave and took. */
export interface ScreenReading {
  frame: ScreenFrame;
  /** Lines read and how long each step took (ms), for the log and the benchmark. */
  stats: {
    regions: number;
    read: number;
    decodeMs: number;
    readMs: number;
    totalMs: number;
    timedOut: boolean;
  };
}

const DEFAULT_MAX_REGIONS = 24;
const DEFAULT_READ_TIMEOUT_MS = 1500;
const DEFAULT_DECODE_TIMEOUT_MS = 2000;
/** Longest side the preview is decoded at (px): its boxes are read and masked at this size. */
const MAX_DECODE_SIDE = 1280;
/** Fewest letters or digits in a line read with low confidence for its words to be withheld. */
const MIN_UNSURE_CHARACTERS = 3;
/** A box mostly inside one already read (this share of its area) is the same line. */
const SAME_LINE_SHARE = 0.5;

/** A full text scan further back than this in the video (ms) than the latest analysis is not used. */
const FULL_SCAN_MAX_AGE_MS = 5000;

/**
 * What the screen shows now, from the live state: undefined with no preview yet. While the live
 * analysis is stalled nothing says where today's text is, so no analysis goes with the picture
 * (and the model gets none).
 */
export function liveSnapshot(live: {
  jpeg: Buffer | undefined;
  latest: FrameAnalysis | null;
  latestFullScan: FrameAnalysis | null;
  stalled: boolean;
  layout: readonly Box[];
}): ScreenSnapshot | undefined {
  if (!live.jpeg) return undefined;
  const { latest, latestFullScan: full } = live;
  const analyses =
    !latest || live.stalled
      ? []
      : full && full !== latest && Math.abs(latest.ptsMs - full.ptsMs) <= FULL_SCAN_MAX_AGE_MS
        ? [latest, full]
        : [latest];
  return { jpeg: live.jpeg, analyses, layout: live.layout };
}

function overlapShare(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 && a.w * a.h > 0 ? (w * h) / (a.w * a.h) : 0;
}

/** The boxes to read: text lines (the latest first), then layout boxes, each line once, at most `max`. */
export function linesToRead(text: readonly Box[], layout: readonly Box[], max: number): Box[] {
  const out: Box[] = [];
  for (const box of [...text, ...layout]) {
    if (out.length >= max) break;
    if (box.w <= 0 || box.h <= 0) continue;
    if (out.some((seen) => overlapShare(box, seen) >= SAME_LINE_SHARE)) continue;
    out.push(box);
  }
  return out;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The frame's rows without GStreamer's padding: the model takes 3 bytes a pixel, row after row. */
function packed(frame: RgbFrame): RgbFrame {
  const row = frame.width * 3;
  if (frame.stride === row) return frame;
  const data = new Uint8Array(row * frame.height);
  for (let y = 0; y < frame.height; y++)
    data.set(frame.data.subarray(y * frame.stride, y * frame.stride + row), y * row);
  return { ...frame, data, stride: row };
}

/**
 * Reads the screen for one chat question, off the live path: decodes the preview, reads the text
 * lines the live analysis found (and the layout's boxes) with the chat's recogniser, splits what it
 * reads into the tower's overlay (given to the model as quoted data) and possible patient identifiers
 * (withheld, and kept out of the stored answer by the guard), and blacks out every text line, layout
 * box and face, and everything outside the endoscope's picture, before the picture is scaled (aspect kept) for the
 * model, which reads text in pictures too. With no analysis to say where the text is, the model gets
 * no picture (failing closed); with no recogniser (or one that times out), no on-screen text.
 */
export async function readScreen(
  snapshot: ScreenSnapshot,
  recogniser: TextRecogniser | undefined,
  o: ScreenReadingOptions,
): Promise<ScreenReading> {
  const started = performance.now();
  const latest = snapshot.analyses[0];
  const stats = { regions: 0, read: 0, decodeMs: 0, readMs: 0, totalMs: 0, timedOut: false };
  if (!latest) return { frame: { withheld: [] }, stats };
  const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(latest.width, latest.height));
  const size = { width: Math.round(latest.width * scale), height: Math.round(latest.height * scale) };
  const frame = await decodeImage(snapshot.jpeg, size, o.decodeTimeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS);
  stats.decodeMs = performance.now() - started;

  const regions = snapshot.analyses.flatMap((a) => a.privacyRegions);
  // A line the live recogniser judged not text (a highlight) is neither read nor masked.
  const text = regions.filter((r) => r.kind !== 'face' && r.recognised !== false);
  const faces = regions.filter((r) => r.kind === 'face');
  let shown: string[] = [];
  let withheld: string[] = [];
  if (recogniser) {
    const boxes = linesToRead(text, snapshot.layout, o.maxRegions ?? DEFAULT_MAX_REGIONS);
    stats.regions = boxes.length;
    const readStarted = performance.now();
    const readings = boxes.length
      ? await withTimeout(
          recogniser.read(frame, boxes).catch(() => []),
          o.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
        )
      : [];
    stats.readMs = performance.now() - readStarted;
    if (readings === 'timeout') stats.timedOut = true;
    else {
      const read = (sure: boolean) => [
        ...new Set(readings.filter((r) => r.isText === sure && r.text.trim()).map((r) => r.text.trim())),
      ];
      const sure = read(true);
      // A line read with less confidence (small print on the preview) is never shown to the model,
      // but its words are withheld all the same: the guard looks for them in the answer.
      const unsure = read(false).filter(
        (line) => (line.match(/[\p{L}\p{N}]/gu) ?? []).length >= MIN_UNSURE_CHARACTERS,
      );
      stats.read = sure.length;
      ({ shown, withheld } = splitScreenText(sure));
      withheld = [...withheld, ...unsure];
    }
  }
  const masked = burnMask(frame, {
    full: false,
    ...(latest.fieldOfView ? { outside: latest.fieldOfView.polygon } : {}),
    boxes: [...text, ...snapshot.layout, ...faces],
  });
  const image = packed(letterboxRgb(masked, o.modelImage));
  stats.totalMs = performance.now() - started;
  return {
    frame: {
      image: { width: image.width, height: image.height, rgb: image.data },
      onScreenText: shown,
      withheld,
    },
    stats,
  };
}
