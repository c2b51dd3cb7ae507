import { type GstPipeline, gst, gstErrorText, gstQuote } from '@gic/shared/media/gst.js';

/**
 * A procedure's recording segments as one MP4, remuxed by GStreamer as it is read (concat: each
 * segment's time runs on from the last; no re-encoding), yielded chunk by chunk from the object
 * store's URLs: never whole in memory.
 */
export async function* joinSegments(urls: string[]): AsyncGenerator<Buffer> {
  const sources = urls
    .map((url, i) => `souphttpsrc location=${gstQuote(url)} ! qtdemux name=d${i} d${i}.video_0 ! queue ! c.`)
    .join(' ');
  const pipeline: GstPipeline = new (gst().Pipeline)(
    `concat name=c ! h264parse ! mp4mux fragment-duration=1000 streamable=true ! appsink name=sink sync=false max-buffers=16 ${sources}`,
  );
  let failure: string | undefined;
  pipeline.pollBus((m) => {
    if (m.type !== 'error') return;
    failure ??= gstErrorText(m);
    pipeline.stop();
  });
  pipeline.play();
  try {
    for (;;) {
      const buf = await new Promise<Buffer | null>((resolve) => {
        if (!pipeline.findChild('sink')?.pull((b) => resolve(b ?? null))) resolve(null);
      });
      if (failure) throw new Error(`cannot join the recording segments: ${failure}`);
      if (!buf) return;
      yield buf;
    }
  } finally {
    pipeline.stop();
  }
}
