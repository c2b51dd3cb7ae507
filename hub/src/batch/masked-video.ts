import { burnMask } from '@gic/shared/analysis/privacy/index.js';
import { rgbStride } from '@gic/shared/media/frame.js';
import { type GstPipeline, gst, gstErrorText, gstQuote } from '@gic/shared/media/gst.js';
import { MultipartWriter } from '../storage/multipart-writer.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { VideoFacts } from '../videos/video-probe.js';
import type { MaskTimeline } from './mask-timeline.js';

/** Raw frames queued in the encoder before the decoder waits (bytes): a few frames of 720p. */
const ENCODER_QUEUE_BYTES = 16 * 1024 * 1024;

/** A pipeline's first error, watched from its bus; an error stops it, so a waiting pull gets null. */
function watch(pipeline: GstPipeline): { error(): string | undefined } {
  let failure: string | undefined;
  pipeline.pollBus((m) => {
    if (m.type !== 'error') return;
    failure ??= gstErrorText(m);
    pipeline.stop();
  });
  return { error: () => failure };
}

const pull = (pipeline: GstPipeline, name: string) =>
  new Promise<Buffer | null>((resolve) => {
    if (!pipeline.findChild(name)?.pull((b) => resolve(b ?? null))) resolve(null);
  });

/**
 * Makes the de-identified copy of a video: every frame decoded from the object store, the mask of
 * its moment burned in with the shared engine's `burnMask`, re-encoded (H.264, fragmented MP4) and
 * streamed back to the store part by part. Nothing is ever whole in memory: a few frames and one
 * part. Returns the copy's size and SHA-256 as written, and the frames it holds.
 */
export async function renderMaskedVideo(
  store: ObjectStore,
  from: string,
  to: string,
  facts: VideoFacts,
  timeline: MaskTimeline,
  progress: (share: number) => Promise<void>,
): Promise<{ bytes: number; sha256: string; frames: number; fps: number }> {
  const fps = facts.fps > 0 ? facts.fps : 30;
  const rate = `${Math.round(fps * 1000)}/1000`;
  const { width, height } = facts;
  const url = await store.presignGet(from, { internal: true, expiresIn: 6 * 3600 });
  const reader = new (gst().Pipeline)(
    `souphttpsrc location=${gstQuote(url)} ! decodebin ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=${width},height=${height} ! appsink name=sink sync=false max-buffers=4`,
  );
  const encoder = new (gst().Pipeline)(
    [
      `appsrc name=src format=time max-bytes=0 caps=${gstQuote(`video/x-raw,format=RGB,width=${width},height=${height},framerate=${rate}`)}`,
      'videoconvert',
      // 4:2:0, as the edge records: from RGB, x264 would otherwise take 4:4:4 (High 4:4:4 Predictive),
      // which Firefox and Safari do not play and which costs about twice as much to decode.
      'video/x-raw,format=I420',
      // As the edge recorder encodes: the same speed and bitrate for the same kind of picture (kbit/s).
      `x264enc speed-preset=superfast bitrate=4000 key-int-max=${Math.round(fps * 2)}`,
      'h264parse',
      'mp4mux fragment-duration=1000 streamable=true',
      'appsink name=sink sync=false max-buffers=16',
    ].join(' ! '),
  );
  const readerState = watch(reader);
  const encoderState = watch(encoder);
  const writer = await MultipartWriter.open(store, to, 'video/mp4');
  const src = encoder.findChild('src')!;
  const stride = rgbStride(width);
  try {
    reader.play();
    encoder.play();
    // The encoded stream goes to the store while frames are still being decoded.
    const upload = (async () => {
      for (;;) {
        const out = await pull(encoder, 'sink');
        if (!out) return;
        await writer.write(out);
      }
    })();
    let frames = 0;
    for (let index = 0; ; index++) {
      const buf = await pull(reader, 'sink');
      if (readerState.error()) throw new Error(`cannot decode the upload: ${readerState.error()}`);
      if (!buf) break;
      frames++;
      const tMs = (index * 1000) / fps;
      const masked = burnMask({ data: buf, width, height, stride, index, ptsMs: tMs }, timeline.maskAt(tMs));
      while (Number(src['current-level-bytes'] ?? 0) > ENCODER_QUEUE_BYTES) {
        if (encoderState.error()) throw new Error(`cannot encode the masked copy: ${encoderState.error()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      src.push(
        Buffer.from(masked.data.buffer, masked.data.byteOffset, masked.data.byteLength),
        Math.round(tMs * 1e6),
      );
      if (index % 30 === 0) await progress(Math.min(1, tMs / Math.max(1, facts.durationMs)));
    }
    encoder.sendEOS();
    await upload;
    if (encoderState.error()) throw new Error(`cannot encode the masked copy: ${encoderState.error()}`);
    return { ...(await writer.close()), frames, fps };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    reader.stop();
    encoder.stop();
  }
}
