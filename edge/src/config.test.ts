import { ConfigError } from '@gic/shared/config/parse-env.js';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from './config.js';

describe('loadEdgeConfig', () => {
  it('defaults to a test pattern at 3 fps with the text detector', () => {
    const c = loadEdgeConfig({});
    expect(c.source).toEqual({ kind: 'test' });
    expect(c.analysisFps).toBe(3);
    expect(c.models).toEqual(['pp-ocrv4-det', 'blazeface-front']);
    expect(c.http.port).toBe(8090);
  });

  it('parses sources and masks', () => {
    const c = loadEdgeConfig({
      GIC_SOURCE: 'file:/tmp/x.mp4',
      GIC_SOURCE_LOOP: 'true',
      GIC_PRIVACY_MASKS: '[{"x":0,"y":0,"w":1,"h":0.1}]',
    });
    expect(c.source).toEqual({ kind: 'file', path: '/tmp/x.mp4', loop: true });
    expect(c.privacyMasks).toEqual([{ x: 0, y: 0, w: 1, h: 0.1 }]);
    expect(loadEdgeConfig({ GIC_SOURCE: 'v4l2:/dev/video2' }).source).toEqual({
      kind: 'v4l2',
      device: '/dev/video2',
    });
    expect(loadEdgeConfig({ GIC_SOURCE: 'rtsp://cam/1' }).source).toEqual({
      kind: 'rtsp',
      url: 'rtsp://cam/1',
    });
  });

  it('lists every bad setting at once', () => {
    let error: unknown;
    try {
      loadEdgeConfig({
        GIC_EDGE_PORT: '-1',
        GIC_ANALYSIS_FPS: '100',
        GIC_PRIVACY_MASKS: '[{"x":2}]',
        GIC_HUB_URL: 'ftp://h',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    for (const key of ['GIC_EDGE_PORT', 'GIC_ANALYSIS_FPS', 'GIC_PRIVACY_MASKS', 'GIC_HUB_URL'])
      expect(text).toContain(key);
  });

  it('reads the recorder settings: segment length, pinned size and rate', () => {
    expect(loadEdgeConfig({}).recording).toEqual({ segmentSeconds: 60, width: 1280, height: 720, fps: 30 });
    expect(
      loadEdgeConfig({
        GIC_RECORDING_SEGMENT_S: '300',
        GIC_RECORDING_SIZE: '1920x1080',
        GIC_RECORDING_FPS: '25',
      }).recording,
    ).toEqual({ segmentSeconds: 300, width: 1920, height: 1080, fps: 25 });
    for (const [key, value] of [
      ['GIC_RECORDING_SEGMENT_S', '4'],
      ['GIC_RECORDING_SEGMENT_S', '3601'],
      ['GIC_RECORDING_SIZE', '1280*720'],
      ['GIC_RECORDING_SIZE', '1279x720'],
      ['GIC_RECORDING_FPS', '0'],
    ] as const)
      expect(() => loadEdgeConfig({ [key]: value }), `${key}=${value}`).toThrow(key);
  });
});
