/** An RGB frame handed to the model (rows top to bottom, 3 bytes per pixel). */
export interface VlmImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export interface VlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** At most one image per message; only on 'user' messages. */
  image?: VlmImage;
}

export interface VlmRequest {
  messages: readonly VlmMessage[];
  /** Default 256. */
  maxNewTokens?: number;
  /** Soft stop: generation ends at the next token and the stream ends with reason 'cancelled'. */
  signal?: AbortSignal;
  /** Hard limit: the generation is killed (child process) after this; the stream throws VlmTimeoutError. */
  timeoutMs?: number;
}

export type VlmStatus =
  | { state: 'ready'; backend: 'onnx' | 'openai'; model: string }
  | { state: 'off'; reason: string };

export interface VlmChunk {
  text: string;
}
export interface VlmDone {
  reason: 'stop' | 'length' | 'cancelled';
  tokens: number;
  firstTokenMs: number | null;
  totalMs: number;
}

export interface VlmEngine {
  status(): VlmStatus;
  /** Streams text chunks; the iterator's return value is VlmDone. Rejects with VlmBusyError when its bounded queue is full,
   *  VlmTimeoutError on the hard limit, VlmUnavailableError when status is 'off'. */
  generate(req: VlmRequest): AsyncGenerator<VlmChunk, VlmDone, void>;
  close(): Promise<void>;
}
export class VlmBusyError extends Error {
  override name = 'VlmBusyError';
}
export class VlmTimeoutError extends Error {
  override name = 'VlmTimeoutError';
}
export class VlmUnavailableError extends Error {
  override name = 'VlmUnavailableError';
}
