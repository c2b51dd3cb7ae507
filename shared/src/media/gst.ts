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
 * A bus error (or warning) in words a person can act on: which element (its name and kind), what
 * happened, and GStreamer's own detail, e.g. `filesrc0 (GstFileSrc): Resource not found. (No such
 * file "a.mp4")`.
 */
export function gstErrorText(message: GstBusMessage): string {
  // `name` is the element's path on errors, e.g. /GstPipeline:pipeline0/GstQTDemux:demux.
  const last = typeof message.name === 'string' ? message.name.split('/').at(-1) : undefined;
  const [kind, name] = last?.includes(':') ? last.split(':') : [undefined, message._src_element_name];
  const element = name ? (kind ? `${name} (${kind})` : name) : 'pipeline';
  // `debug` is "file.c(line): function (): /path:\nreason"; the reason is what matters.
  const debug = typeof message.debug === 'string' ? message.debug : '';
  const detail = debug.includes('\n') ? debug.slice(debug.lastIndexOf('\n') + 1).trim() : '';
  return `${element}: ${message.message ?? 'unknown error'}${detail ? ` (${detail})` : ''}`;
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
