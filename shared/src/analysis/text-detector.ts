import type { RgbFrame } from '../media/frame.js';
import type { Box, ModelRef } from '../messages/events.js';
import { frameToTensorData } from './image-tensor.js';
import type { ResolvedModel } from './model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from './onnx-session.js';
import { defaultMapBoxOptions, probabilityMapToBoxes } from './probability-map-boxes.js';

/** Finds burned-in text (a DB-style detector such as PP-OCR det) so that it can be masked. */
export interface TextDetector {
  readonly ref: ModelRef;
  detect(frame: RgbFrame): Promise<Box[]>;
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
  return {
    ref: { id: manifest.id, version: manifest.version, executionProvider },
    async detect(frame) {
      const data = frameToTensorData(frame, input);
      const dims =
        input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
      const result = await session.run({ [input.name]: new ort.Tensor('float32', data, dims) });
      const map = result[output.name];
      if (!map) throw new Error(`model ${manifest.id} has no output ${output.name}`);
      const [h, w] = map.dims.slice(-2) as [number, number];
      return probabilityMapToBoxes(map.data as Float32Array, w, h, {
        ...defaultMapBoxOptions,
        threshold: output.threshold,
      });
    },
    close: () => session.release(),
  };
}
