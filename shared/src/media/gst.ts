import { createRequire } from 'node:module';

/** The subset of gstreamer-superficial we use. */
export interface GstElement {
  /** appsink only: the next sample, or null at end of stream or once stopped. */
  pull(callback: (buf: Buffer | null, caps?: Record<string, unknown>) => void): void;
  /** appsrc only: queues a buffer; `pts` is its time in ns as a big-endian unsigned 64-bit number. */
  push(buf: Buffer, pts?: Buffer): void;
  [property: string]: unknown;
}
export interface GstBusMessage {
  type: string;
  _src_element_name?: string;
  message?: string;
  name?: string;
  [key: string]: unknown;
}
export interface GstPipeline {
  play(): void;
  pause(): void;
  stop(): void;
  sendEOS(): void;
  findChild(name: string): GstElement | undefined;
  /** Asks upstream of the named element's sink pad for a key frame; the element must exist. */
  forceKeyUnit(elementName: string, count: number): boolean;
  pollBus(callback: (message: GstBusMessage) => void): void;
}
interface GstModule {
  Pipeline: new (description: string) => GstPipeline;
}

let cached: GstModule | undefined;

/**
 * Note on threads: `pollBus` and `appsink.pull` each wait on a libuv worker thread. A bus poll ends
 * only when the pipeline is stopped from inside its own bus callback (on `eos` or `error`); stop it
 * anywhere else and that thread waits forever. Callers stop there, and processes raise
 * UV_THREADPOOL_SIZE so that the rare leftover cannot starve file and crypto work.
 */

/** Loads the native binding once (it is CommonJS with a .node addon, so ESM import cannot load it). */
export function gst(): GstModule {
  cached ??= createRequire(import.meta.url)('gstreamer-superficial') as GstModule;
  return cached;
}

/** Quotes a value for a gst-launch style description. */
export function gstQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A bus error or warning in words a person can act on: which element (its name and kind), what
 * happened, and GStreamer's own detail, e.g. `filesrc0 (GstFileSrc): Resource not found. (No such
 * file "a.mp4")`. The binding parses the text of errors only; a warning's comes from its details.
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
  const what =
    message.message ??
    /warning-type=\(string\)([\w-]+)/.exec(details)?.[1] ??
    (message.type === 'warning' ? 'warning' : 'unknown error');
  const reason = debug.includes('\n') ? debug.slice(debug.lastIndexOf('\n') + 1).trim() : '';
  return `${element}: ${what}${reason ? ` (${reason})` : ''}`;
}

/**
 * Runs a pipeline that ends by itself (a file writer, say) and resolves at end of stream,
 * rejecting with GStreamer's own message on error.
 */
export function runToEos(description: string, timeoutMs = 120_000): Promise<void> {
  const pipeline = new (gst().Pipeline)(description);
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
 * on a GStreamer error, when nothing comes out, or after `timeoutMs`. The pipeline is stopped inside
 * its bus callback where it can be (see the note on threads above).
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
      } else if (m.type === 'eos') {
        stop();
      }
    });
    pipeline.play();
    pipeline.findChild('src')!.push(input);
    pipeline.sendEOS();
    pipeline.findChild('sink')!.pull((buf) => {
      if (buf) settle(undefined, buf);
      else settle({ kind: 'empty' });
    });
  });
}
