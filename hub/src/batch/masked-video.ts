import { burnMaskI420InPlace } from '@gic/shared/analysis/privacy/index.js';
import { i420Layout } from '@gic/shared/media/frame.js';
import { type GstElement, type GstPipeline, gst, gstErrorText, gstQuote } from '@gic/shared/media/gst.js';
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

const pull = (pipeline: GstPipeline, name: string, into?: Buffer) =>
  new Promise<{ buf: Buffer; caps?: Record<string, unknown> } | null>((resolve) => {
    const sink = pipeline.findChild(name);
    if (!sink?.pull((buf, caps) => resolve(buf ? { buf, ...(caps ? { caps } : {}) } : null), into))
      resolve(null);
  });

const capsText = (caps: Record<string, unknown> | undefined, field: string) =>
  typeof caps?.[field] === 'string' ? (caps[field] as string) : undefined;

/**
 * How the de-identified copy is encoded from I420 frames at `fps` (a GStreamer description, to a
 * fragmented MP4 stream): as the edge recorder encodes, 4:2:0 at the same speed and bitrate (kbit/s)
 * for the same kind of picture. bench:batch encodes with it too, to time the copy's physical limit.
 */
export function maskedCopyEncoding(fps: number): string {
  return [
    `x264enc speed-preset=superfast bitrate=4000 key-int-max=${Math.round(fps * 2)}`,
    'h264parse',
    'mp4mux fragment-duration=1000 streamable=true',
  ].join(' ! ');
}

/**
 * Makes the de-identified copy of a video: every frame decoded from the object store, the mask of
 * its moment burned in with the shared engine (`burnMaskI420InPlace`, in the decoder's own I420: no
 * colour conversion either way, which cost more than the encode), re-encoded (H.264, fragmented MP4,
 * the decoder's colorimetry kept) and streamed back to the store part by part. Nothing is ever whole
 * in memory: a few frames and one part. Returns the copy's size and SHA-256 as written, and the
 * frames it holds.
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
  // videoconvert and videoscale pass the decoder's frames through untouched when they are already
  // I420 at the video's size (8-bit 4:2:0 H.264, what towers and the edge record); anything else is
  // converted on the way.
  const reader = new (gst().Pipeline)(
    `souphttpsrc location=${gstQuote(url)} ! decodebin ! videoconvert ! videoscale ! video/x-raw,format=I420,width=${width},height=${height} ! appsink name=sink sync=false max-buffers=4`,
  );
  // Made once the first frame tells the decoder's colorimetry, which the copy keeps.
  const encoderFor = (caps: Record<string, unknown> | undefined) => {
    const colour = ['colorimetry', 'chroma-site']
      .map((f) => [f, capsText(caps, f)] as const)
      .filter(([, v]) => v !== undefined && /^[\w:-]+$/.test(v))
      .map(([f, v]) => `,${f}=${v}`)
      .join('');
    return new (gst().Pipeline)(
      [
        `appsrc name=src format=time max-bytes=0 caps=${gstQuote(`video/x-raw,format=I420,width=${width},height=${height},framerate=${rate}${colour}`)}`,
        maskedCopyEncoding(fps),
        'appsink name=sink sync=false max-buffers=16',
      ].join(' ! '),
    );
  };
  const readerState = watch(reader);
  let encoder: GstPipeline | undefined;
  let src: GstElement | undefined;
  let encoderState: { error(): string | undefined } | undefined;
  let upload: Promise<void> | undefined;
  // A failed part upload ends the copy at once (the encoder would otherwise wait for its output to be taken).
  let uploadFailure: unknown;
  const check = () => {
    if (uploadFailure) throw uploadFailure;
    if (encoderState?.error()) throw new Error(`cannot encode the masked copy: ${encoderState.error()}`);
  };
  const writer = await MultipartWriter.open(store, to, 'video/mp4');
  const layout = i420Layout(width, height);
  // The decoder's frames are copied into this one buffer, masked there and copied into the encoder.
  const frameBuffer = Buffer.allocUnsafeSlow(layout.size);
  try {
    reader.play();
    let frames = 0;
    for (let index = 0; ; index++) {
      const sample = await pull(reader, 'sink', frameBuffer);
      if (readerState.error()) throw new Error(`cannot decode the upload: ${readerState.error()}`);
      if (!sample) break;
      if (sample.buf.length !== layout.size)
        throw new Error(`the decoder gave ${sample.buf.length} bytes, not a ${width}x${height} I420 frame`);
      if (!encoder) {
        const started = encoderFor(sample.caps);
        encoder = started;
        src = started.findChild('src')!;
        encoderState = watch(started);
        started.play();
        // The encoded stream goes to the store while frames are still being decoded.
        upload = (async () => {
          for (;;) {
            const out = await pull(started, 'sink');
            if (!out) return;
            await writer.write(out.buf);
          }
        })();
        upload.catch((err) => {
          uploadFailure = err;
        });
      }
      frames++;
      const tMs = (index * 1000) / fps;
      const colorimetry = capsText(sample.caps, 'colorimetry');
      burnMaskI420InPlace(
        {
          format: 'I420',
          data: sample.buf,
          width,
          height,
          index,
          ptsMs: tMs,
          ...(colorimetry ? { colorimetry } : {}),
        },
        timeline.maskAt(tMs),
      );
      check();
      while (Number(src!['current-level-bytes'] ?? 0) > ENCODER_QUEUE_BYTES) {
        check();
        await new Promise((r) => setTimeout(r, 5));
      }
      src!.push(sample.buf, Math.round(tMs * 1e6));
      if (index % 30 === 0) await progress(Math.min(1, tMs / Math.max(1, facts.durationMs)));
    }
    if (!encoder) throw new Error('cannot decode the upload: it holds no frame');
    encoder.sendEOS();
    await upload;
    check();
    return { ...(await writer.close()), frames, fps };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    reader.stop();
    encoder?.stop();
  }
}
