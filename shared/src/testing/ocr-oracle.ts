/**
 * A readability oracle that no part of the masking uses: Tesseract (Debian's `tesseract-ocr` with
 * `tesseract-ocr-eng`) reads frames the way a person reading a recording would, and counts the
 * characters of known identifiers it finds. Each frame is read as it is (as one block of text, `--psm 6`,
 * and as sparse text, `--psm 11`: over textured mucosa one mode often reads a banner the other misses),
 * and upscaled 2x in sparse-text mode, which picks up the fragments a person reads at a mask's edge.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbFrame } from '../media/frame.js';

/** A frame as a binary PPM (P6), which Tesseract reads (through Leptonica), scaled by `factor` (bilinear). */
export function ppm(frame: RgbFrame, factor = 1): Buffer {
  const w = Math.round(frame.width * factor);
  const h = Math.round(frame.height * factor);
  const header = Buffer.from(`P6\n${w} ${h}\n255\n`);
  const out = Buffer.alloc(header.length + w * h * 3);
  header.copy(out);
  let o = header.length;
  for (let y = 0; y < h; y++) {
    const fy = Math.max(0, Math.min(frame.height - 1, (y + 0.5) / factor - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(frame.height - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.max(0, Math.min(frame.width - 1, (x + 0.5) / factor - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(frame.width - 1, x0 + 1);
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => frame.data[yy * frame.stride + xx * 3 + c]!;
        const top = at(x0, y0) * (1 - tx) + at(x1, y0) * tx;
        const bottom = at(x0, y1) * (1 - tx) + at(x1, y1) * tx;
        out[o++] = Math.round(top * (1 - ty) + bottom * ty);
      }
    }
  }
  return out;
}

/** Runs Tesseract on an image file; resolves with the text it read. */
function tesseract(path: string, psm: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'tesseract',
      [path, 'stdout', '--psm', String(psm), '-l', 'eng'],
      // One thread a process: frames are read in parallel instead.
      { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (err, stdout) => {
        if (err)
          reject(
            new Error(
              `tesseract failed on ${path}: ${err.message} (apt install tesseract-ocr tesseract-ocr-eng)`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

/** What the oracle found of the identifiers in one frame. */
export interface OracleHit {
  ptsMs: number;
  /** What Tesseract read, and the identifier it matches. */
  read: string;
  identifier: string;
  characters: number;
}

export interface OracleResult {
  /** Identifier characters read over all frames: the bar for a masked recording is 0. */
  characters: number;
  hits: OracleHit[];
  framesRead: number;
}

/** Fewest characters of a whole identifier word that count as read (two could be chance: "19", "OE"). */
const MIN_READ = 3;
/**
 * Fewest characters of a fragment (part of an identifier word) that count as read. Over textured
 * mucosa Tesseract reads three-letter words that are not there: in two masked recordings of the 5:4
 * tower clip, AIE, MLE, VAS (twice), IES, ESA, AIL, JAE and more, 13 in 70 frames; one CI run read
 * ALE, a part of MAGDALENA, in a frame whose banner was masked whole. Four-letter chance words were
 * one in those 70 frames (MINS), and a four-letter part of an identifier by chance far rarer.
 */
const MIN_FRAGMENT = 4;

/** Upper-case runs of letters and digits. */
const words = (text: string) => text.toUpperCase().match(/[A-Z0-9]+/g) ?? [];

/**
 * Characters of `identifiers` found in `text`: every word read that holds an identifier word of
 * MIN_READ characters or more, or is a part of one (a fragment at a mask's edge) of MIN_FRAGMENT or
 * more; and every match of the patterns (a clock's `12:34:56`).
 */
export function identifierCharacters(
  text: string,
  identifiers: readonly string[],
  patterns: readonly RegExp[] = [],
): { read: string; identifier: string; characters: number }[] {
  const targets = identifiers.flatMap(words).filter((w) => w.length >= MIN_READ);
  const hits: { read: string; identifier: string; characters: number }[] = [];
  for (const w of words(text)) {
    if (w.length < MIN_READ) continue;
    const target = targets.find((t) => w.includes(t) || (w.length >= MIN_FRAGMENT && t.includes(w)));
    if (target) hits.push({ read: w, identifier: target, characters: Math.min(w.length, target.length) });
  }
  for (const pattern of patterns) {
    for (const m of text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))) {
      hits.push({ read: m[0], identifier: pattern.source, characters: m[0].replace(/\W/g, '').length });
    }
  }
  return hits;
}

/**
 * Reads every frame three times (as it is, page segmentation 6 and 11; upscaled 2x, 11), `parallel`
 * at a time (or until `stopAfter` characters are read), and counts the identifier characters found. Black frames (no pixel brighter than luma 24) are skipped.
 */
export async function readIdentifiers(
  frames: readonly RgbFrame[],
  identifiers: readonly string[],
  patterns: readonly RegExp[] = [],
  {
    parallel = 2,
    stopAfter = Number.POSITIVE_INFINITY,
  }: {
    /** Frames read at once. */
    parallel?: number;
    /** Stop reading once this many identifier characters are read: for checks that something leaks. */
    stopAfter?: number;
  } = {},
): Promise<OracleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gic-ocr-'));
  const hits: OracleHit[] = [];
  let framesRead = 0;
  try {
    const jobs = frames.filter((f) => maxLuma(f) >= 24);
    let next = 0;
    const worker = async () => {
      const enough = () => hits.reduce((n, h) => n + h.characters, 0) >= stopAfter;
      while (next < jobs.length && !enough()) {
        const frame = jobs[next++]!;
        const base = join(dir, `f${frame.index}-${frame.ptsMs}`);
        writeFileSync(`${base}.ppm`, ppm(frame));
        writeFileSync(`${base}-2x.ppm`, ppm(frame, 2));
        // Tesseract's page analysis is erratic over texture: a banner one mode misses, another reads.
        const text = [
          await tesseract(`${base}.ppm`, 6),
          await tesseract(`${base}.ppm`, 11),
          await tesseract(`${base}-2x.ppm`, 11),
        ].join('\n');
        framesRead++;
        for (const hit of identifierCharacters(text, identifiers, patterns))
          hits.push({ ptsMs: frame.ptsMs, ...hit });
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { characters: hits.reduce((n, h) => n + h.characters, 0), hits, framesRead };
}

function maxLuma(frame: RgbFrame): number {
  let max = 0;
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const p = y * frame.stride + x * 3;
      max = Math.max(max, 0.299 * frame.data[p]! + 0.587 * frame.data[p + 1]! + 0.114 * frame.data[p + 2]!);
    }
  }
  return max;
}
