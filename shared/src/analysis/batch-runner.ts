import type { RgbFrame } from '../media/frame.js';
import type { ort } from './onnx-session.js';

/**
 * Whether a model input takes several images in one run: `dynamic` (its batch dimension is symbolic),
 * `fixed` (a number, in practice 1) or `unknown` (the session does not say).
 */
export type BatchSupport = 'dynamic' | 'fixed' | 'unknown';

/** Reads the batch dimension (the first) of a session input from onnxruntime's input metadata. */
export function inputBatchSupport(
  session: Pick<ort.InferenceSession, 'inputMetadata'>,
  inputName: string,
): BatchSupport {
  const meta = session.inputMetadata?.find((m) => m.name === inputName);
  if (!meta?.isTensor || meta.shape.length === 0) return 'unknown';
  const batch = meta.shape[0];
  // A named (symbolic) or negative dimension is dynamic; a number is fixed.
  if (typeof batch === 'string' || (typeof batch === 'number' && batch < 0)) return 'dynamic';
  return typeof batch === 'number' ? 'fixed' : 'unknown';
}

/** Runs a batch through a model: one result for each frame, in order. */
export type RunBatch<T> = (frames: RgbFrame[]) => Promise<T[]>;

/**
 * Runs frames through a model as one batch where it takes one, else one frame at a time. When the
 * session does not say, the first batch is tried: if it fails and a single frame then succeeds, the
 * model is taken as fixed-batch from then on, so the failed try is paid once.
 */
export class BatchRunner<T> {
  constructor(
    private batch: BatchSupport,
    private readonly runModel: RunBatch<T>,
  ) {}

  /** What is known now of the model's batch dimension. */
  get support(): BatchSupport {
    return this.batch;
  }

  /** Results for `frames`, in their order. */
  async run(frames: RgbFrame[]): Promise<T[]> {
    if (frames.length <= 1 || this.batch === 'fixed') return this.oneByOne(frames);
    if (this.batch === 'dynamic') return this.checked(frames, await this.runModel(frames));
    let results: T[];
    try {
      results = await this.runModel(frames);
    } catch {
      // A frame alone decides: if it fails too, the fault is not the batch, and its error is the one to see.
      const first = await this.oneByOne(frames.slice(0, 1));
      this.batch = 'fixed';
      return [...first, ...(await this.oneByOne(frames.slice(1)))];
    }
    this.batch = 'dynamic';
    return this.checked(frames, results);
  }

  private async oneByOne(frames: RgbFrame[]): Promise<T[]> {
    const results: T[] = [];
    for (const frame of frames) results.push(...this.checked([frame], await this.runModel([frame])));
    return results;
  }

  private checked(frames: RgbFrame[], results: T[]): T[] {
    if (results.length !== frames.length) {
      throw new Error(`model gave ${results.length} results for a batch of ${frames.length} frames`);
    }
    return results;
  }
}
