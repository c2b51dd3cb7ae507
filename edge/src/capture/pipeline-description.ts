import { extname } from 'node:path';
import { maskSvg } from '@gic/shared/analysis/privacy/privacy-mask.js';
import { gstQuote } from '@gic/shared/media/gst.js';
import type { Box } from '@gic/shared/messages/events.js';
import type { SourceConfig } from '../config.js';

export interface CaptureLayout {
  source: SourceConfig;
  /** Pace a file at its own frame rate, as a tower would deliver it live. */
  realtime: boolean;
  /**
   * Analysis frames: at the source's own size (square pixels), scaled down only to fit within
   * `width` x `height` with the aspect kept, so that small print keeps its pixels; at most `fps`.
   */
  analysis: { width: number; height: number; fps: number };
  /** The recorder's output; no recorder when absent. */
  recording?: RecordingLayout;
  /** On-screen-display regions burned out of the recording (normalised). */
  masks: Box[];
  /**
   * Delay the recorder this long behind the analysis (ms), and start with the whole frame masked,
   * so that out-of-body decisions reach frames before they are encoded (see RecorderMask).
   */
  privacyDelayMs?: number;
  /** A JPEG preview for the in-room screen into the `preview` appsink; none when absent. */
  /** Height follows the source's aspect ratio. */
  preview?: { width: number; fps: number };
}

/** What the recorder writes: H.264 MP4 segments at a pinned size and rate. */
export interface RecordingSettings {
  /** Length of each segment (s); a segment starts on a key frame, one a second. */
  segmentSeconds: number;
  /** Every segment has this size (aspect kept with black borders) and rate, whatever the source does. */
  width: number;
  height: number;
  fps: number;
}

export interface RecordingLayout extends RecordingSettings {
  /** Segment files are `${segmentPrefix}-00000.mp4`, `${segmentPrefix}-00001.mp4`, ... */
  segmentPrefix: string;
}

export const RECORDING_DEFAULTS: RecordingSettings = {
  segmentSeconds: 60,
  width: 1280,
  height: 720,
  fps: 30,
};

/**
 * Decodes video only: audio is never decoded, and the caps filter keeps an audio pad from being the
 * one linked. decodebin also follows a stream whose demuxer replaces its pads mid-stream (an MPEG-TS
 * whose programme changes when a tower switches mode), which a fixed demuxer pad name cannot.
 */
/**
 * The most the recorder may trail the tee beyond its privacy delay (ms): a slow encoder then holds the
 * pipeline back instead of falling further behind, which would let an unmask decision reach frames
 * older than the in-body stretch it was made for (see recorder-mask.ts).
 */
export const RECORDER_SLACK_MS = 250;

const DECODE_VIDEO = `decodebin caps=${gstQuote('video/x-raw(ANY)')} ! video/x-raw(ANY)`;

/**
 * MP4 and Matroska keep their explicit demuxer and its first video pad: with decodebin in front, a
 * truncated MP4 sometimes ended without any error on the bus (6 runs in 30 here), and the run hung.
 * Anything else (MPEG-TS above all, whose pads are named after their PIDs) goes through decodebin.
 */
function fileDecode(path: string): string {
  const ext = extname(path).toLowerCase();
  if (['.mp4', '.m4v', '.mov'].includes(ext)) return 'qtdemux name=demux demux.video_0 ! queue ! decodebin';
  if (['.mkv', '.webm'].includes(ext)) return 'matroskademux name=demux demux.video_0 ! queue ! decodebin';
  return DECODE_VIDEO;
}

/** The source part: decoded raw video, whatever the input; audio is never taken. */
export function sourceDescription(source: SourceConfig, realtime: boolean): string {
  switch (source.kind) {
    case 'file':
      return [
        `filesrc location=${gstQuote(source.path)}`,
        fileDecode(source.path),
        ...(realtime ? ['identity sync=true'] : []),
      ].join(' ! ');
    case 'test':
      return 'videotestsrc is-live=true pattern=ball motion=wavy ! video/x-raw,width=1280,height=720,framerate=30/1';
    case 'v4l2':
      return `v4l2src device=${gstQuote(source.device)} ! ${DECODE_VIDEO}`;
    case 'rtsp':
      return `rtspsrc location=${gstQuote(source.url)} latency=200 protocols=tcp ! application/x-rtp,media=video ! ${DECODE_VIDEO}`;
  }
}

function fraction(fps: number): string {
  return `${Math.round(fps * 1000)}/1000`;
}

/**
 * One pipeline, one tee: (a) the analysis branch samples frames at the analysis rate and size as
 * packed RGB into the `analysis` appsink, dropping stale frames when live; (b) the recorder burns
 * out the masks, pins size and rate and encodes H.264 (no audio track, ever) into the `recorded`
 * appsink, from which SegmentRecorder writes the MP4 segments; (c) an optional JPEG preview for the in-room screen (shown in the room
 * only, never stored or sent).
 */
export function captureDescription(layout: CaptureLayout): string {
  const { analysis } = layout;
  const live = layout.realtime || layout.source.kind !== 'file';
  const branches = [
    [
      `t. ! queue ${live ? 'leaky=downstream max-size-buffers=2' : 'max-size-buffers=8'}`,
      'videorate drop-only=true',
      'videoscale',
      'videoconvert',
      // Ranges: a frame within them keeps its size; a larger one is scaled down, its aspect kept.
      `video/x-raw,format=RGB,width=[16,${analysis.width}],height=[16,${analysis.height}],pixel-aspect-ratio=1/1,framerate=${fraction(analysis.fps)}`,
      `appsink name=analysis sync=false max-buffers=2 drop=${live}`,
    ].join(' ! '),
  ];
  if (layout.preview) {
    const p = layout.preview;
    branches.push(
      [
        't. ! queue leaky=downstream max-size-buffers=1',
        'videorate drop-only=true',
        'videoscale',
        'videoconvert',
        `video/x-raw,format=I420,width=${p.width},pixel-aspect-ratio=1/1,framerate=${fraction(p.fps)}`,
        'jpegenc quality=70',
        'appsink name=preview sync=false max-buffers=1 drop=true',
      ].join(' ! '),
    );
  }
  if (layout.recording) {
    const r = layout.recording;
    const delayNs = (layout.privacyDelayMs ?? 0) * 1_000_000;
    const initial = { full: Boolean(layout.privacyDelayMs), boxes: layout.masks };
    branches.push(
      [
        // Holds the recorder RECORDER_DELAY_MS behind the tee, and never much more (see recorder-mask.ts).
        `t. ! queue min-threshold-time=${delayNs} max-size-time=${delayNs + RECORDER_SLACK_MS * 1_000_000} max-size-buffers=0 max-size-bytes=0`,
        // The rate is pinned first, so that the encoder never sees a change; skip-to-first: a source whose
        // time starts late (RTSP, a cut file) is not padded with copies of its first frame.
        'videorate skip-to-first=true',
        `video/x-raw,framerate=${r.fps}/1`,
        // Recording off (full disk, say) closes this valve, so that nothing is encoded; sticky events (caps,
        // end of stream) still pass, or a closed valve would keep end of stream from the sink.
        'valve name=recvalve drop=false drop-mode=forward-sticky-events',
        'videoconvert',
        // Always present, so that masks can change while recording (rsvgoverlay re-reads `data`). It works
        // at the source's size, so that mask boxes stay on the source's own on-screen display.
        `rsvgoverlay name=recmask fit-to-frame=true data=${gstQuote(maskSvg(initial))}`,
        'videoscale add-borders=true',
        'videoconvert',
        // Pinned caps: a source that changes size or rate mid-stream never renegotiates the encoder.
        `video/x-raw,format=I420,width=${r.width},height=${r.height},pixel-aspect-ratio=1/1,framerate=${r.fps}/1`,
        // One key frame a second, so that a segment can end on any whole second.
        `x264enc speed-preset=superfast tune=zerolatency bitrate=4000 key-int-max=${r.fps}`,
        // Parameter sets before every key frame, so that each segment stands alone.
        'h264parse name=recparse config-interval=-1',
        'video/x-h264,stream-format=byte-stream,alignment=au',
        // One access unit per buffer, to the SegmentRecorder (see segment-writer.ts for the files).
        // async=false: the delayed recorder must not hold the pipeline back from PLAYING while it fills.
        'appsink name=recorded sync=false async=false max-buffers=120 drop=false',
      ].join(' ! '),
    );
  }
  return `${sourceDescription(layout.source, layout.realtime)} ! videoconvert ! tee name=t ${branches.join(' ')}`;
}
