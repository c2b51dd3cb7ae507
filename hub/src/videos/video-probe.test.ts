import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { describe, expect, it } from 'vitest';
import { NotAVideoError, parseDiscovererOutput, probeVideo } from './video-probe.js';

describe('video probe', () => {
  it('reads duration, size and rate from the discoverer and decodes a picture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-probe-'));
    chmodSync(dir, 0o711);
    const path = join(dir, 'clip.mp4');
    await generateSampleVideo(path, { seconds: 2, width: 640, height: 360 });
    expect(await probeVideo(`file://${path}`)).toEqual({
      durationMs: 2000,
      width: 640,
      height: 360,
      fps: 30,
    });
    writeFileSync(join(dir, 'text.mp4'), 'not a video at all');
    await expect(probeVideo(`file://${join(dir, 'text.mp4')}`)).rejects.toBeInstanceOf(NotAVideoError);
  });

  it('refuses output without a video stream', () => {
    expect(() =>
      parseDiscovererOutput('Properties:\n  Duration: 0:00:03.000000000\n  audio #1: audio/mpeg\n'),
    ).toThrow(/no video stream/);
    expect(() =>
      parseDiscovererOutput(
        'An error was encountered while discovering the file\n Could not determine type of stream.\n',
      ),
    ).toThrow(/Could not determine type/);
  });
});
