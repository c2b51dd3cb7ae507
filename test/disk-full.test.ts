import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { testHubEnv } from './test-database.js';

const MB = 1e6;
/** The clip's rate, which the recorder keeps. */
const FPS = 30;

/** Frames a video file decodes to, counted by gst-launch-1.0 (one line per buffer reaching the sink). */
function decodedFrames(path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      'gst-launch-1.0',
      `-v filesrc location=${path} ! qtdemux ! h264parse ! avdec_h264 ! identity silent=false ! fakesink`.split(
        ' ',
      ),
      { maxBuffer: 64 * MB },
      (err, stdout) =>
        err
          ? reject(err)
          : resolve(stdout.split('\n').filter((l) => l.includes('last-message = chain')).length),
    ),
  );
}
const log = createLogger('disk-full', (process.env.DEBUG_LOG as 'info') ?? 'silent');

/**
 * A disk that really fills: the edge's data folder is a small tmpfs of its own (the test runs as
 * root, as CI does), and the test fills it with a file while a procedure is being recorded.
 */
describe('a disk that fills up during a procedure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-disk-full-'));
  chmodSync(dir, 0o711);
  const dataDir = join(dir, 'edge');
  let hub: RunningHub;
  let edge: RunningEdge;

  beforeAll(async () => {
    mkdirSync(dataDir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', dataDir], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`this test needs root to mount a 160 MB tmpfs: ${(err as Error).message}`);
    }
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 4, width: 640, height: 360, fps: FPS });
    hub = await startHub(loadHubConfig(await testHubEnv(dir, 'disk-full-admin-password')), log);
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: dataDir,
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, 'disk-full-admin-password'),
        GIC_SOURCE: `file:${clip}`,
        GIC_SOURCE_LOOP: 'true',
        GIC_REPLAY_REALTIME: 'true',
        GIC_MODELS: 'pp-ocrv4-det',
        GIC_ANALYSIS_FPS: '3',
        GIC_ANALYSIS_MIN_FPS: '3',
        GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
        GIC_PROCEDURE_AUTO: 'false', // one procedure, started below, across the loops of the clip
        GIC_RECORDING_SEGMENT_S: '5',
        GIC_DISK_MIN_FREE_GB: '0.1', // warn below 100 MB
        GIC_DISK_STOP_FREE_GB: '0.06', // stop below 60 MB, resume at 120 MB
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    try {
      execFileSync('umount', ['-l', dataDir]);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops recording cleanly, goes on analysing, tells the screen and the hub, and resumes when space is back', async () => {
    const live = async () =>
      (await (await fetch(`${edge.httpUrl}/api/v1/realtime/analysis`)).json()) as {
        framesAnalysed: number;
        disk: { recording: boolean; warning?: string } | null;
      };
    const started = await fetch(`${edge.httpUrl}/api/v1/procedures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'disk test' }),
    });
    expect(started.status).toBe(201);
    const { id: procedureId } = (await started.json()) as { id: string };
    const segments = () =>
      edge.db
        .prepare(
          'SELECT id, path, status, segment_index, duration_ms FROM recordings WHERE procedure_id = ? ORDER BY segment_index',
        )
        .all(procedureId) as {
        id: string;
        path: string;
        status: string;
        segment_index: number;
        duration_ms: number | null;
      }[];
    await until(
      'a segment to be recording',
      () => (segments().some((s) => s.status === 'recording') ? true : undefined),
      15_000,
    );

    // Fill the disk to 40 MB free.
    const filler = join(dataDir, 'filler.bin');
    const free = () => {
      const s = statfsSync(dataDir);
      return s.bavail * s.bsize;
    };
    writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 40 * MB)));
    const stopped = await until(
      'recording to stop',
      async () => {
        const state = await live();
        return state.disk?.recording === false ? state : undefined;
      },
      15_000,
    );
    expect(stopped.disk?.warning).toMatch(
      /^recording stopped: only [3-5]\d MB free \(analysis goes on; recording resumes at 120 MB\)$/,
    );
    // The open segment was closed cleanly: sealed, whole, playable; no new one opens.
    const closed = await until('the open segment to be sealed', () => {
      const all = segments();
      return all.length > 0 && all.every((s) => s.status !== 'recording') ? all : undefined;
    });
    const framesBefore = (await live()).framesAnalysed;
    await new Promise((r) => setTimeout(r, 3000));
    // Analysis goes on (about 9 frames in those 3 s; waited for, however slow the machine) ...
    await until(
      'analysis with recording stopped',
      async () => ((await live()).framesAnalysed > framesBefore + 4 ? true : undefined),
      60_000,
    );
    // ... and no new segment opened meanwhile.
    expect(segments()).toHaveLength(closed.length);
    // Every segment was sealed for upload (and may be on its way), none failed: recording stopped
    // before the disk refused a write.
    const sealed = ['ready', 'uploading', 'verifying', 'verified'];
    expect(closed.filter((s) => !sealed.includes(s.status))).toEqual([]);
    // The last one, closed by the stop, decodes to the video the recorder counted into it. The count
    // comes from GStreamer's own tools (decoder to a counting sink), not from the edge's code. The
    // stop may fall just after the looping clip started a new segment: then it holds a frame or two.
    const last = closed.at(-1)!;
    const decoded = await decodedFrames(last.path);
    const size = existsSync(last.path) ? statSync(last.path).size : -1;
    expect(last.duration_ms, JSON.stringify({ last, bytes: size })).not.toBeNull();
    expect(decoded, JSON.stringify({ last, bytes: size, segments: closed })).toBe(
      Math.round((last.duration_ms! * FPS) / 1000),
    );
    expect(decoded).toBeGreaterThan(0);
    // The hub is told at once, by telemetry.
    await until(
      'the hub to hear that recording stopped',
      async () => {
        const { rows } = await hub.db.query('SELECT telemetry FROM devices WHERE telemetry IS NOT NULL');
        const t = rows[0]?.telemetry as { disk?: { recording?: boolean; warning?: string } } | undefined;
        return t?.disk?.recording === false && t.disk.warning?.startsWith('recording stopped')
          ? true
          : undefined;
      },
      15_000,
    );

    // Space is back: recording resumes in a new segment of the same procedure.
    rmSync(filler);
    await until(
      'recording to resume',
      () =>
        segments().some((s) => s.status === 'recording' && s.segment_index === closed.length)
          ? true
          : undefined,
      15_000,
    );
    expect((await live()).disk?.recording).toBe(true);
    console.info(
      `disk full: ${closed.length} segment(s) sealed when recording stopped (last one ${decoded} frames, ${last.duration_ms} ms, decoded whole), ` +
        `analysis went on (${(await live()).framesAnalysed - framesBefore} frames in the gap and after), recording resumed as segment ${closed.length}`,
    );
  }, 90_000);
});
