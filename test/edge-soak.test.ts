import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { type ProcStats, procStats } from '@gic/shared/process/proc-stats.js';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnAsUser } from './processes.js';

/** Capture runs the edge has ended so far (each a whole pipeline built and torn down). */
const runsEnded = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => l.msg === 'capture run ended').length;

// The short version of `npm run bench:soak`: it fails when pipelines leave anything behind.
describe('an edge that rebuilds its capture pipeline again and again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-soak-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds as many descriptors and threads, and about as much memory, after 40 rebuilds as after 10', async () => {
    const clip = join(dir, 'one-second.mp4');
    await generateSampleVideo(clip, { seconds: 1 });
    const port = await freePort();
    // A one-second file played in a loop: each loop builds the capture pipeline anew and records
    // its own segment; no hub, as a box whose network is down.
    const edge = spawnAsUser('edge', {
      GIC_SOURCE: `file:${clip}`,
      GIC_SOURCE_LOOP: 'true',
      GIC_EDGE_PORT: String(port),
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_HUB_URL: 'http://127.0.0.1:9',
      GIC_RECORDING_SEGMENT_S: '5',
    });
    try {
      await ready(edge.child, `http://127.0.0.1:${port}/health/live`, 60_000);
      const statsAfter = async (runs: number): Promise<ProcStats> => {
        await until(
          `${runs} capture runs`,
          async () => (runsEnded(edge.logs) >= runs ? true : undefined),
          180_000,
        );
        // The least over two seconds: a pipeline being torn down that instant holds its descriptors
        // and threads for a moment (on a busy machine, a little longer).
        const samples: ProcStats[] = [];
        for (let i = 0; i < 8; i++) {
          samples.push(procStats(edge.child.pid!));
          await new Promise((r) => setTimeout(r, 250));
        }
        return {
          fds: Math.min(...samples.map((x) => x.fds)),
          threads: Math.min(...samples.map((x) => x.threads)),
          rssMiB: Math.min(...samples.map((x) => x.rssMiB)),
        };
      };
      const warm = await statsAfter(10);
      const end = await statsAfter(40);
      console.log(
        `soak: after 10 rebuilds ${JSON.stringify(warm)}, after 40 ${JSON.stringify(end)} (fds ${end.fds - warm.fds >= 0 ? '+' : ''}${end.fds - warm.fds}, threads ${end.threads - warm.threads >= 0 ? '+' : ''}${end.threads - warm.threads}, RSS ${end.rssMiB - warm.rssMiB >= 0 ? '+' : ''}${end.rssMiB - warm.rssMiB} MiB)`,
      );
      // The old binding left 8 descriptors and ~20 MB behind per rebuild: 240 fds and 600 MB here.
      // A few descriptors and threads of a pipeline still being torn down on a busy machine are noise;
      // so are threads that start lazily (libuv's pool, V8's helpers): at the same point of five runs
      // the edge held 15 to 28 threads (after 10 rebuilds) and moved by -4 to +9 over the next 30.
      // One thread left behind per rebuild would be +30. Descriptors: on a quiet machine the edge held
      // 56 after 10, 25, 40 and 55 rebuilds alike; with the unit project beside it, +13 once (pipes and
      // sockets of a pipeline torn down while the next was built). A descriptor left per rebuild is +30.
      expect(end.fds - warm.fds).toBeLessThanOrEqual(16);
      expect(end.threads - warm.threads).toBeLessThanOrEqual(12);
      expect(end.rssMiB - warm.rssMiB).toBeLessThan(120);
    } finally {
      await kill(edge.child);
    }
  }, 300_000);
});
