import { type I420Frame, i420Layout, type RgbFrame, rgbStride } from './frame.js';
import { type GstPipelineOptions, gst, gstQuote } from './gst.js';

/**
 * Decodes a video file and yields frames as packed RGB at the given size and rate, as fast as the
 * consumer takes them (for batch analysis and for checking what a recording contains).
 */
export function readFileFrames(path: string, options: VideoFramesOptions): AsyncGenerator<RgbFrame> {
  return readVideoFrames({ path }, options);
}

export interface VideoFramesOptions {
  width: number;
  height: number;
  fps: number;
  /**
   * Threads of the libav video decoder (avdec_*): 0 or absent is libav's own choice (one a core).
   * 1 decodes on the streaming thread alone: about a fifth less CPU for the same frames, for
   * machines whose every core is busy anyway (a hub running a batch worker a core).
   */
  decoderThreads?: number;
  /**
   * Every frame's pixels in one buffer, overwritten by the next frame: a frame's `data` holds only
   * until the generator is asked for the next, so a consumer copies the frames it keeps. For a reader
   * that keeps a few of many frames (the batch's sampler): the others allocate nothing, where a
   * new 2.7 MB buffer a 720p frame kept the collector busy with a full collection every few frames.
   */
  reuseBuffer?: boolean;
  /**
   * The decoder skips the frames no other frame refers to (most B-frames of x264's default settings;
   * see GstPipelineOptions.skipNonReferenceFrames): about a third less decoding on such a video, for
   * a reader that samples a few frames a second. A frame read at a time may then show the decoded
   * picture nearest it (at 30 fps, 33 ms or at most 67 ms away); a video without B-frames decodes as
   * before.
   */
  skipNonReferenceFrames?: boolean;
  /**
   * Decode key frames only while this says so (see `KeyFrameGate`). Frames are then limited to `fps`
   * at the decoder's output, by their own times, and each frame's `ptsMs` is its presentation time
   * from the first frame's (not its place at `fps`): the frames read are as many as the key frames
   * while it says so.
   */
  keyFrameGate?: KeyFrameGate;
}

/**
 * Asked before each frame after the first is read: whether the decoder may be given key frames only
 * (`keyFrameIntervalMs`: the longest time between two key frames so far, once four were seen). The answer
 * takes effect at the next key frame the decoder meets, which is a few frames ahead of the reader.
 */
export type KeyFrameGate = (keyFrameIntervalMs: number | undefined) => boolean;

/** The pipeline options that give the libav video decoder `threads` threads (0, absent: its own choice). */
export function decoderThreadOptions(threads: number | undefined): GstPipelineOptions {
  if (threads === undefined || threads === 0) return {};
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(`decoder threads must be a whole number >= 0, got ${threads}`);
  return { childProperties: { 'avdec_*': { 'max-threads': threads } } };
}

/**
 * Decodes a video from a file or an HTTP(S) URL (a presigned object-store URL: GStreamer reads it
 * with range requests, so the video is never whole in memory) and yields frames as packed RGB at the
 * given size and rate, as fast as the consumer takes them. `ptsMs` counts from 0 at the given rate.
 */
export async function* readVideoFrames(
  source: { path: string } | { url: string },
  options: VideoFramesOptions,
): AsyncGenerator<RgbFrame> {
  const { width, height, fps } = options;
  const stride = rgbStride(width);
  for await (const { data, index, ptsMs } of readSamples(source, options, 'RGB', stride * height)) {
    yield { data, width, height, stride, index, ptsMs: ptsMs ?? Math.round((index * 1000) / fps) };
  }
}

/**
 * As `readVideoFrames`, in the decoder's own planar I420 with no colour conversion: for a reader that
 * looks at every frame's luma (the batch's sampler) and converts to RGB only the frames it keeps
 * (`I420ToRgb`), which spares the conversion of the others (about 2.5 ms a 720p frame here). A video
 * in another format (4:4:4, 10-bit, NV12) is converted to I420 on the way: its frames then carry
 * 4:2:0 colour at 8 bits.
 */
export async function* readVideoI420Frames(
  source: { path: string } | { url: string },
  options: VideoFramesOptions,
): AsyncGenerator<I420Frame> {
  const { width, height, fps } = options;
  for await (const { data, index, caps, ptsMs } of readSamples(
    source,
    options,
    'I420',
    i420Layout(width, height).size,
  )) {
    const colorimetry = typeof caps?.colorimetry === 'string' ? caps.colorimetry : undefined;
    const chromaSite = typeof caps?.['chroma-site'] === 'string' ? caps['chroma-site'] : undefined;
    yield {
      format: 'I420',
      data,
      width,
      height,
      index,
      ptsMs: ptsMs ?? Math.round((index * 1000) / fps),
      ...(colorimetry ? { colorimetry } : {}),
      ...(chromaSite ? { chromaSite } : {}),
    };
  }
}

async function* readSamples(
  source: { path: string } | { url: string },
  options: VideoFramesOptions,
  format: 'RGB' | 'I420',
  frameBytes: number,
): AsyncGenerator<{ data: Buffer; index: number; caps?: Record<string, unknown>; ptsMs?: number }> {
  const { width, height, fps } = options;
  const gate = options.keyFrameGate;
  // A presigned URL is a credential while it lasts: errors name the file only.
  const label = 'path' in source ? source.path : 'the video from the object store';
  const pipeline = new (gst().Pipeline)(
    [
      'path' in source
        ? `filesrc location=${gstQuote(source.path)}`
        : `souphttpsrc location=${gstQuote(source.url)}`,
      'decodebin',
      // Gated, the decoder's output is limited to `fps` by the binding, by the frames' own times:
      // videorate's fixed grid falls behind over key frames alone, then lets every frame through.
      ...(gate
        ? [
            'videoscale',
            'videoconvert',
            `video/x-raw,format=${format},width=${width},height=${height},pixel-aspect-ratio=1/1`,
          ]
        : [
            'videorate drop-only=true',
            'videoscale',
            'videoconvert',
            `video/x-raw,format=${format},width=${width},height=${height},pixel-aspect-ratio=1/1,framerate=${Math.round(fps * 1000)}/1000`,
          ]),
      'appsink name=sink sync=false max-buffers=4',
    ].join(' ! '),
    {
      ...decoderThreadOptions(options.decoderThreads),
      ...(options.skipNonReferenceFrames ? { skipNonReferenceFrames: true } : {}),
      ...(gate ? { gateDeltaUnits: true, gatedMaxFps: fps } : {}),
    },
  );
  const sink = pipeline.findChild('sink')!;
  let failure: string | undefined;
  let stopped = false;
  const stop = () => {
    if (!stopped) pipeline.stop();
    stopped = true;
  };
  pipeline.pollBus((m) => {
    if (m.type === 'error') failure = `${m.name ?? 'pipeline'}: ${m.message ?? 'error'}`;
    // The appsink holds end of stream back until every frame was taken, so stopping here loses none.
    if (m.type === 'error' || m.type === 'eos') stop();
  });
  pipeline.play();
  const shared = options.reuseBuffer ? Buffer.allocUnsafeSlow(frameBytes) : undefined;
  let firstPtsNs: number | undefined;
  let gridMs: number | undefined;
  const stepMs = 1000 / fps;
  try {
    for (let index = 0; ; index++) {
      // Asked once the consumer has had the frame before: its answer may depend on that frame.
      if (gate && index > 0 && !pipeline.stopped) pipeline.skipDeltaUnits(gate(pipeline.keyFrameIntervalMs));
      type Sample = { buf: Buffer; caps?: Record<string, unknown>; ptsMs?: number };
      const sample = await new Promise<Sample | null>((resolve) => {
        // The appsink hands nothing after an error, so the bus is watched too; null means end of stream.
        const timer = setInterval(() => failure && done(null), 100);
        const done = (s: Sample | null) => {
          clearInterval(timer);
          resolve(s);
        };
        sink.pull((buf, caps, meta) => {
          let ptsMs: number | undefined;
          if (gate && meta?.pts !== undefined) {
            // From the first frame's time, as the frames' places at `fps` count: a file's first time
            // need not be 0 (a recording segment may go on from the one before).
            firstPtsNs ??= meta.pts;
            const t = (meta.pts - firstPtsNs) / 1e6;
            // The binding's grid (gatedMaxFps): a frame let through for a grid time is read as of
            // that time, the decoded one nearest it, as videorate's are; one past the grid (after key
            // frames alone) starts it again. So the sampler sees no jitter where frames were skipped.
            gridMs = gridMs !== undefined && t < gridMs + 2 * stepMs ? gridMs + stepMs : t;
            ptsMs = Math.round(gridMs);
          }
          done(buf ? { buf, caps, ...(ptsMs !== undefined ? { ptsMs } : {}) } : null);
        }, shared);
      });
      if (failure) throw new Error(`cannot decode ${label}: ${failure}`);
      if (!sample) return;
      yield {
        data: sample.buf,
        index,
        caps: sample.caps,
        ...(sample.ptsMs !== undefined ? { ptsMs: sample.ptsMs } : {}),
      };
    }
  } finally {
    stop();
  }
}
