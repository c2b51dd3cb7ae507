import { createRequire } from 'node:module';

/**
 * One element of a pipeline (from `findChild`): its GObject properties are plain JS properties
 * (`valve.drop = true`, `src['current-level-bytes']`); setting a value the property cannot take throws.
 */
export interface GstElement {
  /**
   * appsink only: calls back, always asynchronously, with the next sample and its caps' fields, or
   * with null at end of stream or once the pipeline is stopped. One pull may wait at a time. Returns
   * false when the pipeline is already stopped (the callback is then called with null soon after).
   * With `into`, a sample of exactly its length is copied into it and `into` itself is handed back
   * (a reader that drops most frames allocates nothing for them); any other size gets a new buffer.
   * `meta`: the sample's presentation time (ns), when it has one.
   */
  pull(
    callback: (buf: Buffer | null, caps?: Record<string, unknown>, meta?: SampleMeta) => void,
    into?: Buffer,
  ): boolean;
  /** appsrc only: queues a copy of `buf`; `pts` in ns. Returns GStreamer's flow result (`ok`, `flushing`, `eos`). */
  push(buf: Buffer, pts?: number | bigint): string;
  [property: string]: unknown;
}
/** What an appsink's sample carries besides its bytes and caps. */
export interface SampleMeta {
  /** Presentation time (ns); absent when the buffer has none. */
  pts?: number;
}
export interface GstBusMessage {
  type: string;
  _src_element_name?: string;
  /** error, warning, info: the element's path, its text, GStreamer's debug detail and details structure. */
  name?: string;
  message?: string;
  debug?: string;
  details?: string;
  [key: string]: unknown;
}
export interface GstPipeline {
  /** Each returns GStreamer's state-change result: `success`, `async`, `no-preroll` or `failure`. */
  play(): string;
  pause(): string;
  /**
   * Ends the pipeline for good, from anywhere (a bus callback or not), without ever blocking: a
   * waiting pull gets null, element properties read as undefined, and GStreamer's side (joining
   * the streaming threads, freeing every resource) runs on a thread of its own, so a source stuck in
   * a driver or a blocking read cannot hold up the process. Bus messages already posted may still
   * arrive.
   */
  stop(): void;
  readonly stopped: boolean;
  /** Ends the stream, from a thread of its own (a source stuck in its driver cannot hold up the caller). */
  sendEOS(): void;
  /**
   * Seeks to `positionMs` (flushing, to the exact frame) once the pipeline has prerolled: call it
   * after pause(). The wait for the preroll (at most `timeoutMs`) and the seek run on a thread of
   * their own; the outcome comes on the bus as an application message `gic-seek` with `ok` and, when
   * not ok, `reason`. Returns false when the pipeline is already stopped.
   */
  seek(positionMs: number, timeoutMs: number): boolean;
  /** The named element, the same object each time; undefined if there is none or once stopped. */
  findChild(name: string): GstElement | undefined;
  /** Asks upstream of the named element's sink pad for a key frame. */
  forceKeyUnit(elementName: string, count: number): boolean;
  /**
   * With `gateDeltaUnits`: from the next key frame on, video decoders get key frames only (`true`) or
   * every frame again (`false`). Read at each key frame, so decoding stops and resumes on whole key
   * units; throws on a pipeline made without the option.
   */
  skipDeltaUnits(on: boolean): void;
  /**
   * With `gateDeltaUnits`: the longest time between two key frames a decoder was given so far (ms),
   * once it was given four (encoders add key frames at scene cuts: the last two may come closer).
   */
  readonly keyFrameIntervalMs: number | undefined;
  /** eos, error, warning, info, element and application messages, on the main thread, until stop(). */
  pollBus(callback: (message: GstBusMessage) => void): void;
}
/** What the native binding holds now: for leak checks and the soak benchmark. */
export interface GstStats {
  pipelines: number;
  elements: number;
  appsinks: number;
}
export interface GstPipelineOptions {
  /**
   * Properties set on every element a factory makes in this pipeline, including those a bin adds
   * while it runs (decodebin's demuxer and decoder), as soon as each is added and before it is
   * configured: `{ 'avdec_*': { 'max-threads': 1 } }`. A factory name ending in `*` is a prefix; an
   * element without the property is left alone. Values are read as gst-launch reads them (enum nicks,
   * numbers, booleans).
   */
  childProperties?: Record<string, Record<string, string | number | boolean>>;
  /**
   * Video decoders (the description's and those a bin adds) may skip the frames no other frame refers
   * to: each segment they receive is marked a trick mode, and libav's then discards non-reference
   * frames, as in a trick-mode seek. Most of x264's B-frames are such frames; I- and P-frames are
   * always decoded. For a reader that keeps a few frames a second of many (behind `videorate`, a frame
   * for a time is then the decoded one nearest it).
   */
  skipNonReferenceFrames?: boolean;
  /**
   * Video decoders (the description's and those a bin adds) get a gate on their input that
   * `skipDeltaUnits` opens and closes: closed, only key frames are decoded (a room's recording has one
   * a second). For a reader that needs fewer frames than the key frames give while a view is still.
   */
  gateDeltaUnits?: boolean;
  /**
   * With `gateDeltaUnits`: the decoders' output is limited to this rate by the frames' own times, on
   * a grid of its interval: a frame is let through at its grid time or after (less a twentieth) and
   * the grid moves on by one interval; a frame an interval or more past the grid starts it again
   * (after key frames alone, say), where videorate's fixed grid would fall behind.
   */
  gatedMaxFps?: number;
}
interface GstModule {
  Pipeline: new (description: string, options?: GstPipelineOptions) => GstPipeline;
  stats(): GstStats;
  /** Blocks until every stopped pipeline's teardown has ended, at most `ms`; true when none is left. */
  settle(ms: number): boolean;
  version: string;
}

/**
 * How long the process's exit waits for pipelines stopped just before it to be torn down (ms): a
 * teardown thread still running while Node and GStreamer tear down aborts the process (exit code 134
 * instead of 0). A source stuck in its driver can hold its teardown for ever, so the wait is bounded.
 */
const EXIT_SETTLE_MS = 5000;

let cached: GstModule | undefined;

/**
 * Threads: the project's own binding (shared/native) hands bus messages and appsink samples to
 * JavaScript from GStreamer's own threads through thread-safe functions. No libuv worker thread ever
 * waits on a pipeline, so the number of pipelines is bounded by the machine, not by
 * UV_THREADPOOL_SIZE, and file, DNS and crypto work never queue behind video.
 */

/** Loads the native binding once (built from shared/native by `npm ci`; see shared/native/README.md). */
export function gst(): GstModule {
  if (!cached) {
    const require = createRequire(import.meta.url);
    try {
      const loaded = require('../../build/Release/gic_gst.node') as GstModule;
      process.once('exit', () => loaded.settle(EXIT_SETTLE_MS));
      cached = loaded;
    } catch (err) {
      throw new Error(
        `the GStreamer binding is not built (${(err as Error).message.split('\n')[0]}): run \`npm ci\` or \`npm run install -w shared\` (needs libgstreamer1.0-dev and libgstreamer-plugins-base1.0-dev)`,
      );
    }
  }
  return cached;
}

/** Pipelines, elements and appsinks the binding holds right now. */
export function gstStats(): GstStats {
  return gst().stats();
}

/** Quotes a value for a gst-launch style description. */
export function gstQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A bus error or warning in words a person can act on: which element (its name and kind), what
 * happened, and GStreamer's own detail, e.g. `filesrc0 (GstFileSrc): Resource not found. (No such
 * file "a.mp4")`. A warning's type, where its details name one, stands for its text.
 */
export function gstErrorText(message: GstBusMessage): string {
  // `debug` is "file.c(line): function (): /GstPipeline:p/GstQTDemux:demux[:\nreason]".
  const debug = typeof message.debug === 'string' ? message.debug : '';
  const path =
    typeof message.name === 'string' && message.name.startsWith('/')
      ? message.name
      : /\(\): (\/[^\n]*?):?(?:\n|$)/.exec(debug)?.[1];
  const last = path?.split('/').at(-1);
  const [kind, name] = last?.includes(':') ? last.split(':') : [undefined, message._src_element_name];
  const element = name ? (kind ? `${name} (${kind})` : name) : 'pipeline';
  const details = typeof message.details === 'string' ? message.details : '';
  // A warning's type (`continuity-mismatch`) says more than its generic text.
  const what =
    /warning-type=\(string\)([\w-]+)/.exec(details)?.[1] ??
    message.message ??
    (message.type === 'warning' ? 'warning' : 'unknown error');
  const reason = debug.includes('\n') ? debug.slice(debug.lastIndexOf('\n') + 1).trim() : '';
  return `${element}: ${what}${reason ? ` (${reason})` : ''}`;
}

/**
 * Runs a pipeline that ends by itself (a file writer, say) and resolves at end of stream,
 * rejecting with GStreamer's own message on error.
 */
export function runToEos(
  description: string,
  timeoutMs = 120_000,
  options?: GstPipelineOptions,
): Promise<void> {
  const pipeline = new (gst().Pipeline)(description, options);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      pipeline.stop();
      reject(new Error(`pipeline did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    pipeline.pollBus((message) => {
      if (message.type === 'eos' || message.type === 'error') {
        clearTimeout(timer);
        pipeline.stop();
        if (message.type === 'eos') resolve();
        else reject(new Error(`GStreamer error in ${gstErrorText(message)}`));
      }
    });
    pipeline.play();
  });
}

/** Why a one-buffer pipeline gave nothing: too slow, a GStreamer error (with its text), or no output. */
export type OneShotFailure =
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'error'; message: string }
  | { kind: 'empty' };

/**
 * Pushes one buffer through a pipeline from its appsrc `src` to its appsink `sink` and resolves with
 * the one buffer that comes out (a still image decoded or encoded, say). Rejects with `fail`'s error
 * on a GStreamer error, when nothing comes out, or after `timeoutMs`; the pipeline is torn down in
 * every case.
 */
export function runOnce(
  description: string,
  input: Buffer,
  timeoutMs: number,
  fail: (failure: OneShotFailure) => Error,
): Promise<Buffer> {
  const pipeline = new (gst().Pipeline)(description);
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    let stopped = false;
    const stop = () => {
      if (!stopped) pipeline.stop();
      stopped = true;
    };
    const settle = (failure?: OneShotFailure, output?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) reject(fail(failure));
      else resolve(output!);
    };
    const timer = setTimeout(() => {
      stop();
      settle({ kind: 'timeout', timeoutMs });
    }, timeoutMs);
    pipeline.pollBus((m) => {
      if (m.type === 'error') {
        stop();
        settle({ kind: 'error', message: m.message ?? 'unknown error' });
      }
    });
    pipeline.play();
    pipeline.findChild('src')!.push(input);
    pipeline.sendEOS();
    // The appsink holds back end of stream until its sample is taken, so the pull sees the sample first.
    pipeline.findChild('sink')!.pull((buf) => {
      stop();
      if (buf) settle(undefined, buf);
      else settle({ kind: 'empty' });
    });
  });
}
