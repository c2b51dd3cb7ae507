import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAGMENT_MS, segmentMuxDescription } from './segment-writer.js';
import { probeVideo } from './testing/test-clips.js';

describe('segment files', () => {
  it('stay readable up to their last fragment when the process is killed mid-segment', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gic-segment-')), 'killed-00000.mp4');
    // The same muxer and file settings as every segment, in a process that is then killed outright.
    const child = spawn(
      'gst-launch-1.0',
      [
        '-q',
        ...`videotestsrc is-live=true ! video/x-raw,width=320,height=180,framerate=30/1 ! x264enc speed-preset=ultrafast tune=zerolatency key-int-max=30 ! h264parse ! ${segmentMuxDescription(path)}`
          .replaceAll('"', '')
          .split(' '),
      ],
      { stdio: 'ignore' },
    );
    const gone = new Promise((r) => child.once('close', r)); // 'close' comes even when it never started
    child.on('error', (err) => console.error(`gst-launch-1.0: ${err.message}`));
    await new Promise((r) => setTimeout(r, 3500));
    child.kill('SIGKILL');
    await gone;
    const probed = await probeVideo(path);
    // About 3 s were encoded: all but the fragment in progress survive.
    expect(probed.durationMs).toBeGreaterThanOrEqual(3000 - 2 * FRAGMENT_MS);
    expect(probed.sizes).toEqual(['320x180']);
    console.info(`killed after 3.5 s: ${probed.durationMs} ms readable`);
  });
});
