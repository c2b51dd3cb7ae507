import type { RgbFrame } from '../media/frame.js';
import type { Box, ModelRef } from '../messages/events.js';
import { BatchRunner, type BatchSupport, inputBatchSupport } from './batch-runner.js';
import { framesToTensorData, inputDims } from './image-tensor.js';
import type { ResolvedModel } from './model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from './onnx-session.js';
import { defaultMapBoxOptions, probabilityMapToBoxes } from './probability-map-boxes.js';

/** Finds burned-in text (a DB-style detector such as PP-OCR det) so that it can be masked. */
export interface TextDetector {
  readonly ref: ModelRef;
  /** Whether the model runs a batch of frames at once (known after the first batch when `unknown`). */
  readonly batchSupport: BatchSupport;
  detect(frame: RgbFrame): Promise<Box[]>;
  /** Text boxes for each frame, in order; one model run when the model takes a batch. */
  detectBatch(frames: RgbFrame[]): Promise<Box[][]>;
  close(): Promise<void>;
}

/** Loads a text-detection model whose manifest output kind is `probability-map`. */
export async function loadTextDetector(
  model: ResolvedModel,
  preferred?: ExecutionProviderName[],
): Promise<TextDetector> {
  const { manifest } = model;
  if (manifest.task !== 'text-detection' || manifest.output.kind !== 'probability-map') {
    throw new Error(`model ${manifest.id} is not a probability-map text detector`);
  }
  if (manifest.input.width % 32 !== 0 || manifest.input.height % 32 !== 0) {
    throw new Error(`model ${manifest.id}: input size must be a multiple of 32`);
  }
  const { session, executionProvider } = await createOnnxSession(model.modelPath, preferred);
  const { input, output } = manifest;
  const options = { ...defaultMapBoxOptions, threshold: output.threshold };
  const runner = new BatchRunner(inputBatchSupport(session, input.name), async (frames) => {
    const data = framesToTensorData(frames, input);
    const tensor = new ort.Tensor('float32', data, inputDims(input, frames.length));
    const result = await session.run({ [input.name]: tensor });
    const map = result[output.name];
    if (!map) throw new Error(`model ${manifest.id} has no output ${output.name}`);
    const [h, w] = map.dims.slice(-2) as [number, number];
    const values = map.data as Float32Array;
    if (values.length !== w * h * frames.length) {
      throw new Error(`model ${manifest.id}: output dims [${map.dims}] for a batch of ${frames.length}`);
    }
    return frames.map((_, i) =>
      probabilityMapToBoxes(values.subarray(i * w * h, (i + 1) * w * h), w, h, options),
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
