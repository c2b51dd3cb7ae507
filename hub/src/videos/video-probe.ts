import { execFile } from 'node:child_process';
import { gst, gstErrorText, gstQuote } from '@gic/shared/media/gst.js';

/** What GStreamer found in a video. */
export interface VideoFacts {
  durationMs: number;
  width: number;
  height: number;
  /** Frames per second the stream declares (0 when variable or unknown). */
  fps: number;
}

/** A file GStreamer cannot decode as a video, with the reason in words. */
export class NotAVideoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAVideoError';
  }
}

/** Reads the properties gst-discoverer-1.0 prints (`-v`): duration, and the first video stream's size and rate. */
export function parseDiscovererOutput(text: string): VideoFacts {
  const error = /An error was encountered while discovering the file\s*\n\s*(.+)/.exec(text)?.[1];
  if (error) throw new NotAVideoError(error.trim());
  const duration = /Duration: (\d+):(\d\d):(\d\d)\.(\d+)/.exec(text);
  const video = text.indexOf('video #');
  if (video < 0) throw new NotAVideoError('it holds no video stream');
  const rest = text.slice(video);
  const width = Number(/\n\s*Width: (\d+)/.exec(rest)?.[1]);
  const height = Number(/\n\s*Height: (\d+)/.exec(rest)?.[1]);
  const rate = /\n\s*Frame rate: (\d+)\/(\d+)/.exec(rest);
  if (!duration || !width || !height) throw new NotAVideoError('GStreamer found no duration or picture size');
  const [, h, m, s, frac] = duration;
  const durationMs = Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(`0.${frac}`)) * 1000);
  if (durationMs <= 0) throw new NotAVideoError('its duration is zero');
  const fps = rate && Number(rate[2]) > 0 ? Number(rate[1]) / Number(rate[2]) : 0;
  return { durationMs, width, height, fps: Math.round(fps * 1000) / 1000 };
}

function discover(uri: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'gst-discoverer-1.0',
      ['-v', '-t', String(Math.ceil(timeoutMs / 1000)), uri],
      { timeout: timeoutMs + 5000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout) => {
        if (err && !stdout) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          reject(
            new Error(
              missing
                ? 'gst-discoverer-1.0 is not installed (apt package gstreamer1.0-plugins-base-apps)'
                : `gst-discoverer-1.0 failed: ${err.message}`,
            ),
          );
        } else resolve(stdout);
      },
    );
  });
}

/** Decodes the first picture through our own binding: a stream the discoverer knows may still not decode. */
function decodeFirstFrame(uri: string, timeoutMs: number): Promise<void> {
  const source = uri.startsWith('file://')
    ? `filesrc location=${gstQuote(decodeURIComponent(uri.slice(7)))}`
    : `souphttpsrc location=${gstQuote(uri)}`;
  const pipeline = new (gst().Pipeline)(
    `${source} ! decodebin ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false max-buffers=1`,
  );
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pipeline.stop();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new NotAVideoError(`no picture decoded within ${timeoutMs} ms`)),
      timeoutMs,
    );
    pipeline.pollBus((m) => {
      if (m.type === 'error') finish(new NotAVideoError(`GStreamer cannot decode it: ${gstErrorText(m)}`));
    });
    pipeline.play();
    pipeline.findChild('sink')!.pull((buf) => {
      finish(buf ? undefined : new NotAVideoError('the stream ended before any picture'));
    });
  });
}

/**
 * Probes a video at `uri` (a presigned object-store URL, or file://) with GStreamer: the discoverer
 * for its duration, size and rate, then one picture decoded through the binding. Throws
 * NotAVideoError when it is not a video GStreamer can decode.
 */
export async function probeVideo(uri: string, timeoutMs = 30_000): Promise<VideoFacts> {
  const facts = parseDiscovererOutput(await discover(uri, timeoutMs));
  await decodeFirstFrame(uri, timeoutMs);
  return facts;
}
