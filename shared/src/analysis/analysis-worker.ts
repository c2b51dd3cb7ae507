/**
 * The analysis thread (see threaded-analyzer.ts): loads the models and analyses the frames the main
 * thread sends, one request at a time. onnxruntime-node runs a session synchronously on the calling
 * thread, so inference here never blocks the main thread's event loop (HTTP, GStreamer appsinks, MQTT).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logging/logger.js';
import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalyzer, Scan } from './frame-analyzer.js';
import { type AnalyzerOptions, loadFrameAnalyzer } from './load-analyzer.js';
import type { StageTimes } from './stage-times.js';

export interface AnalysisWorkerData {
  modelsDir: string;
  modelIds: string[];
  options: AnalyzerOptions;
  logLevel: string;
  /**
   * Nice value for this thread (Linux; 0 = as the process), which runs its share of every inference:
   * a thread for work that may wait (still images) yields the CPU to the live video's thread.
   * onnxruntime's own pool threads keep the process's priority.
   */
  nice: number;
}

export type AnalysisRequest =
  /**
   * `timed`: reply with the batch's stage times (ThreadedAnalyzer.analyseBatch's `times`); `lent`: the
   * frames' buffers were handed over and go back with the reply (ThreadedAnalyzer.analyseLent).
   */
  | { id: number; kind: 'analyse'; frames: RgbFrame[]; scans?: Scan[]; timed?: boolean; lent?: boolean }
  | { id: number; kind: 'warm-up'; size: { width: number; height: number } }
  | { id: number; kind: 'close' };

export type AnalysisReply =
  | { kind: 'ready'; models: FrameAnalyzer['models']; modelsOff: FrameAnalyzer['modelsOff'] }
  | { kind: 'log'; line: string }
  /** `times`: for a timed request, its stages and `thread` (ms from the request's arrival to this reply). */
  | { kind: 'result'; id: number; value: unknown; times?: StageTimes; frames?: RgbFrame['data'][] }
  | { kind: 'error'; id: number; message: string; name: string };

/**
 * Sets this thread's nice value. Linux keeps a nice value per thread; /proc/thread-self names the
 * calling thread's id. Best effort: elsewhere the thread keeps the process's priority.
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not permitted: the same priority as the live thread.
  }
}

const port = parentPort;
if (!port) throw new Error('analysis-worker.js runs as a worker thread (ThreadedAnalyzer)');
const data = workerData as AnalysisWorkerData;
const log = createLogger('analysis', data.logLevel, {
  write: (line: string) => port.postMessage({ kind: 'log', line } satisfies AnalysisReply),
});
if (data.nice !== 0) lowerThreadPriority(data.nice);
const { analyzer } = await loadFrameAnalyzer(data.modelsDir, data.modelIds, log, data.options);
port.postMessage({
  kind: 'ready',
  models: analyzer.models,
  modelsOff: analyzer.modelsOff,
} satisfies AnalysisReply);

port.on('message', async (request: AnalysisRequest) => {
  const arrived = performance.now();
  try {
    let value: unknown;
    let times: StageTimes | undefined;
    let lent: RgbFrame['data'][] | undefined;
    if (request.kind === 'analyse') {
      if (request.timed) times = {};
      value = await analyzer.analyseBatch(request.frames, request.scans, times);
      if (request.lent) lent = request.frames.map((f) => f.data);
    } else if (request.kind === 'warm-up') value = await analyzer.warmUp(request.size);
    else {
      await analyzer.close();
      value = null;
    }
    if (times) times.thread = performance.now() - arrived;
    port.postMessage(
      {
        kind: 'result',
        id: request.id,
        value,
        ...(times ? { times } : {}),
        ...(lent ? { frames: lent } : {}),
      } satisfies AnalysisReply,
      lent?.map((d) => d.buffer as ArrayBuffer) ?? [],
    );
    if (request.kind === 'close') port.close();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({
      kind: 'error',
      id: request.id,
      message: e.message,
      name: e.name,
    } satisfies AnalysisReply);
  }
});
