import { describe, expect, it } from 'vitest';
import { captureDescription, sourceDescription } from './pipeline-description.js';
import { segmentDescription } from './segment-writer.js';

describe('pipeline description', () => {
  it('replays a file paced to real time, or as fast as analysis pulls', () => {
    const source = { kind: 'file' as const, path: '/v/a "b".mp4', loop: false };
    expect(sourceDescription(source, true)).toBe(
      'filesrc location="/v/a \\"b\\".mp4" ! qtdemux name=demux demux.video_0 ! queue ! decodebin ! identity sync=true',
    );
    expect(sourceDescription(source, false)).not.toContain('identity');
    expect(sourceDescription({ kind: 'file', path: '/v/a.mkv', loop: false }, false)).toContain(
      'matroskademux',
    );
    // MPEG-TS pads are named after their PIDs and may be replaced mid-stream: decodebin follows them.
    expect(sourceDescription({ kind: 'file', path: '/v/a.ts', loop: false }, false)).toBe(
      'filesrc location="/v/a.ts" ! decodebin caps="video/x-raw(ANY)" ! video/x-raw(ANY)',
    );
    // Only the video of a camera stream is linked, never its audio.
    expect(sourceDescription({ kind: 'rtsp', url: 'rtsp://cam/1' }, false)).toContain(
      '! application/x-rtp,media=video ! decodebin',
    );
  });

  it('samples RGB at the analysis rate and records with masks, pinned caps and no audio', () => {
    const d = captureDescription({
      source: { kind: 'test' },
      realtime: true,
      analysis: { width: 512, height: 288, fps: 3 },
      recording: { segmentPrefix: '/r/x', segmentSeconds: 60, width: 1280, height: 720, fps: 25 },
      masks: [{ x: 0, y: 0, w: 1, h: 0.1 }],
    });
    // Frames keep the source's size and aspect, scaled down only to fit within the analysis bounds.
    expect(d).toContain(
      'format=RGB,width=[16,512],height=[16,288],pixel-aspect-ratio=1/1,framerate=3000/1000',
    );
    expect(d).toContain('appsink name=analysis sync=false max-buffers=2 drop=true');
    expect(d).toContain('rsvgoverlay name=recmask fit-to-frame=true data="<svg');
    expect(d).toContain("<rect x='0' y='0' width='1000' height='100' fill='black'/>");
    expect(d).not.toContain("height='1000' fill='black'"); // no privacy delay: not masked whole at first
    // The encoder's input never changes, whatever the source does; one key frame a second.
    expect(d).toContain('videorate skip-to-first=true ! video/x-raw,framerate=25/1 ! valve name=recvalve');
    expect(d).toContain('videoscale add-borders=true');
    expect(d).toContain(
      'video/x-raw,format=I420,width=1280,height=720,pixel-aspect-ratio=1/1,framerate=25/1',
    );
    expect(d).toContain('key-int-max=25');
    // Sticky events pass a closed valve, so that end of stream still reaches the recorder's sink.
    expect(d).toContain('drop-mode=forward-sticky-events');
    expect(d).toContain('appsink name=recorded');
    expect(d).not.toMatch(/audio/);
  });

  it('writes each segment as fragmented MP4 straight to its file', () => {
    expect(segmentDescription('/r/a-00001.mp4', 30)).toBe(
      'appsrc name=src format=time max-bytes=0 caps="video/x-h264,stream-format=byte-stream,alignment=au,framerate=30/1" ! h264parse ! mp4mux fragment-duration=1000 ! filesink name=file location="/r/a-00001.mp4" sync=false async=false buffer-mode=unbuffered',
    );
  });
});
