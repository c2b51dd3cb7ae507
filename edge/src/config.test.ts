import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from './config.js';

describe('loadEdgeConfig', () => {
  it('defaults to a test pattern at 2 to 5 fps with the text detector and recogniser and the face detector', () => {
    const c = loadEdgeConfig({});
    expect(c.source).toEqual({ kind: 'test' });
    expect(c.analysisFps).toBe(5);
    expect(c.analysisMinFps).toBe(2);
    expect(loadEdgeConfig({ GIC_ANALYSIS_FPS: '1' }).analysisMinFps).toBe(1); // never above the most
    expect(c.models).toEqual(['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front']);
    expect(c.http.port).toBe(8090);
    // Everything outside the endoscope's picture is masked unless the room says otherwise.
    expect(c.privacy).toEqual({ mode: 'mask-outside', layersOff: [] });
    expect(c.analysisMaxSize).toEqual({ width: 1920, height: 1200 });
  });

  it('reads the privacy mode and the layers switched off for measurement, refusing unknown ones', () => {
    const c = loadEdgeConfig({ GIC_PRIVACY_MODE: 'text-only', GIC_PRIVACY_LAYERS_OFF: 'layout, recogniser' });
    expect(c.privacy).toEqual({ mode: 'text-only', layersOff: ['layout', 'recogniser'] });
    expect(() => loadEdgeConfig({ GIC_PRIVACY_MODE: 'none' })).toThrow(/GIC_PRIVACY_MODE/);
    expect(() => loadEdgeConfig({ GIC_PRIVACY_LAYERS_OFF: 'faces' })).toThrow(/unknown layer faces/);
  });

  it('reads the screen sign-in settings: PIN throttle, idle sign-out, credential sync, typed names off', () => {
    expect(loadEdgeConfig({}).screen).toEqual({
      roomCredentialsSyncMs: 60_000,
      typedNames: false,
      throttle: { tries: 5, windowMs: 300_000, lockMs: 300_000 },
      idleSignOutMs: 1_800_000,
    });
    const c = loadEdgeConfig({
      GIC_SCREEN_TYPED_NAMES: 'true',
      GIC_SCREEN_SIGN_IN_TRIES: '3',
      GIC_SCREEN_IDLE_SIGN_OUT_MIN: '0',
      GIC_ROOM_CREDENTIALS_SYNC_S: '5',
    });
    expect(c.screen).toMatchObject({ typedNames: true, idleSignOutMs: 0, roomCredentialsSyncMs: 5000 });
    expect(c.screen.throttle.tries).toBe(3);
    expect(() => loadEdgeConfig({ GIC_SCREEN_SIGN_IN_TRIES: '0' })).toThrow(/GIC_SCREEN_SIGN_IN_TRIES/);
    expect(() => loadEdgeConfig({ GIC_SCREEN_TYPED_NAMES: 'yes' })).toThrow(/GIC_SCREEN_TYPED_NAMES/);
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

  describe('from a configuration file (GIC_EDGE_CONFIG)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-config-'));
    const write = (name: string, content: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    };
    const problems = (env: Record<string, string>) => {
      try {
        loadEdgeConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };

    it('takes every setting from the file, paths relative to it, and lets the environment override', () => {
      const path = write('edge.json', {
        name: 'endoscopy-room-7',
        source: { kind: 'file', path: 'clips/replay.mp4', loop: true, realtime: false },
        analysis: { fps: 4, minFps: 2 },
        models: { dir: 'models', ids: ['pp-ocrv4-det'] },
        privacyMasks: [{ x: 0, y: 0, w: 1, h: 0.1 }],
        privacy: { mode: 'off' },
        procedures: { auto: false, autoEndSeconds: 45 },
        alerts: { sensitivity: 0.75 },
        http: { port: 9100 },
      });
      const c = loadEdgeConfig({ GIC_EDGE_CONFIG: path });
      expect(c).toMatchObject({
        name: 'endoscopy-room-7',
        source: { kind: 'file', path: join(dir, 'clips/replay.mp4'), loop: true },
        realtime: false,
        analysisFps: 4,
        analysisMinFps: 2,
        modelsDir: join(dir, 'models'),
        models: ['pp-ocrv4-det'],
        privacyMasks: [{ x: 0, y: 0, w: 1, h: 0.1 }],
        privacy: { mode: 'off', layersOff: [] },
        procedures: { auto: false, autoEndMs: 45_000 },
        alerts: { sensitivity: 0.75 },
        http: { port: 9100 },
      });
      const overridden = loadEdgeConfig({ GIC_EDGE_CONFIG: path, GIC_EDGE_PORT: '9200', GIC_SOURCE: 'test' });
      expect(overridden.http.port).toBe(9200);
      expect(overridden.source).toEqual({ kind: 'test' });
      expect(
        loadEdgeConfig({ GIC_EDGE_CONFIG: write('v4l2.json', { source: { kind: 'v4l2' } }) }).source,
      ).toEqual({ kind: 'v4l2', device: '/dev/video0' });
    });

    it('reads the example file shipped in edge/edge.example.json', () => {
      const c = loadEdgeConfig({ GIC_EDGE_CONFIG: join(import.meta.dirname, '..', 'edge.example.json') });
      expect(c).toMatchObject({
        source: { kind: 'v4l2', device: '/dev/video0' },
        recording: { segmentSeconds: 60, width: 1920, height: 1080, fps: 30 },
        diskStopFreeBytes: 1e9,
        uploadMaxBytesPerSecond: 20e6,
      });
    });

    it('names the file and key of every bad setting', () => {
      expect(problems({ GIC_EDGE_CONFIG: join(dir, 'missing.json') })).toEqual([
        `GIC_EDGE_CONFIG: cannot read ${join(dir, 'missing.json')}: no such file`,
      ]);
      expect(problems({ GIC_EDGE_CONFIG: write('broken.json', '{"name": ') })[0]).toMatch(
        /broken\.json: .*JSON/,
      );
      const shape = problems({
        GIC_EDGE_CONFIG: write('shape.json', { nmae: 'typo', source: { kind: 'rtsp', url: 'http://x' } }),
      });
      expect(shape).toHaveLength(2);
      expect(shape.join('\n')).toContain(
        `${join(dir, 'shape.json')}: source.url: must be rtsp:// or rtsps://`,
      );
      expect(shape.join('\n')).toMatch(/shape\.json: \(top level\): .*nmae/);
      const ranges = problems({
        GIC_EDGE_CONFIG: write('ranges.json', { analysis: { fps: 100 }, alerts: { sensitivity: 3 } }),
      });
      expect(ranges).toHaveLength(2);
      expect(ranges[0]).toMatch(/ranges\.json: analysis\.fps \(GIC_ANALYSIS_FPS: /);
      expect(ranges[1]).toMatch(/ranges\.json: alerts\.sensitivity \(GIC_ALERT_SENSITIVITY: /);
    });
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
