import { describe, expect, it } from 'vitest';
import { captureDescription, maskSvg, sourceDescription } from './pipeline-description.js';

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
  });

  it('samples RGB at the analysis rate and records with masks and no audio', () => {
    const d = captureDescription({
      source: { kind: 'test' },
      realtime: true,
      analysis: { width: 512, height: 288, fps: 3 },
      recordingPath: '/r/x.mp4',
      masks: [{ x: 0, y: 0, w: 1, h: 0.1 }],
    });
    expect(d).toContain('format=RGB,width=512,height=288,pixel-aspect-ratio=1/1,framerate=3000/1000');
    expect(d).toContain('appsink name=analysis sync=false max-buffers=2 drop=true');
    expect(d).toContain('rsvgoverlay name=recmask fit-to-frame=true data="<svg');
    expect(d).toContain("<rect x='0' y='0' width='1000' height='100' fill='black'/>");
    expect(d).toContain('filesink name=recorder location="/r/x.mp4"');
    expect(d).not.toMatch(/audio/);
  });

  it('builds an empty mask picture for no masks', () => {
    expect(maskSvg([])).not.toContain('<rect');
  });
});
