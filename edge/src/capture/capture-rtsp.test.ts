import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { CaptureSupervisor, type SourceState } from './capture-supervisor.js';
import type { ClosedSegment } from './segment-recorder.js';
import { killRtspServer, startRtspServer } from './testing/rtsp-server.js';
import { probeVideo } from './testing/test-clips.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-rtsp-'));

const until = async (what: string, check: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('an RTSP camera', () => {
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server) await killRtspServer(server);
  });

  it('goes live, reports no signal with a reason when the camera dies, retries with backoff, and is live again when it returns', async () => {
    const port = await freePort();
    server = await startRtspServer(port);
    const t0 = performance.now();
    const at = () => Math.round(performance.now() - t0);
    const states: { state: SourceState; message?: string; at: number }[] = [];
    const runEnds: number[] = [];
    const retries: number[] = []; // the supervisor's own schedule of source retries (ms)
    const closed: ClosedSegment[] = [];
    let frames = 0;
    const supervisor = new CaptureSupervisor(
      {
        source: { kind: 'rtsp', url: `rtsp://127.0.0.1:${port}/test` },
        realtime: true,
        analysis: { width: 160, height: 90, fps: 5 },
        masks: [],
        recording: { segmentSeconds: 60, width: 320, height: 180, fps: 15 },
      },
      dir,
      {
        onRunStart: () => {},
        onFrame: async () => {
          frames++;
        },
        onSegmentOpened: () => {},
        onSegmentClosed: (_run, segment) => {
          closed.push(segment);
        },
        onRecorderError: () => {},
        onRunEnd: async () => {
          runEnds.push(at());
        },
        onState: (state, message) => states.push({ state, ...(message ? { message } : {}), at: at() }),
        onRetryScheduled: (what, delayMs) => {
          if (what === 'source') retries.push(delayMs);
        },
      },
      { minBackoffMs: 250, maxBackoffMs: 2000 },
    );
    const done = supervisor.start();
    // Deadlines are generous: this checks what happens, in order; how fast is for the benchmarks.
    try {
      await until('live video', () => frames >= 10, 60_000);
      const liveAt = states.find((s) => s.state === 'live')!.at;

      const killedAt = at();
      await killRtspServer(server);
      await until('no signal', () => states.some((s) => s.state === 'no-signal'), 60_000);
      const lost = states.find((s) => s.state === 'no-signal')!;
      // Retries while the camera is away: each a fresh attempt that fails, spaced out by the backoff.
      await until('retries', () => runEnds.length >= 4 && retries.length >= 4, 60_000);
      const gaps = runEnds.slice(1, 4).map((t, i) => t - runEnds[i]!);

      const backAt = at();
      server = await startRtspServer(port);
      const framesBefore = frames;
      await until('live again', () => states.at(-1)?.state === 'live' && frames > framesBefore + 5, 60_000);
      const liveAgain = states.at(-1)!.at - backAt;

      console.info(
        `RTSP: live after ${liveAt} ms; no-signal ${lost.at - killedAt} ms after the kill ("${lost.message}"); retries scheduled ${retries.join(', ')} ms, run ends ${gaps.join(', ')} ms apart ("${states.filter((s) => s.state === 'no-signal').at(-1)?.message}"); live again ${liveAgain} ms after restart`,
      );
      // Live, lost, live again, in that order.
      const path = states.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]);
      expect(path.slice(0, 3)).toEqual(['starting', 'live', 'no-signal']);
      expect(path.at(-1)).toBe('live');
      // The camera's end is reported with the source and what happened; failed retries with the element's reason.
      expect(lost.message).toMatch(
        new RegExp(
          `^RTSP source rtsp://127\\.0\\.0\\.1:${port}/test stopped sending video|^rtspsrc\\d* \\(GstRTSPSrc\\): `,
        ),
      );
      const refused = states.filter((s) => s.state === 'no-signal').slice(1);
      expect(refused.length).toBeGreaterThanOrEqual(2);
      for (const s of refused) expect(s.message).toMatch(/^rtspsrc\d* \(GstRTSPSrc\): .*Failed to connect/);
      // The backoff grows: 250 ms after the camera was lost, doubling up to the 2 s cap.
      expect(retries.slice(0, 4)).toEqual([250, 500, 1000, 2000]);
      // And the supervisor keeps to it: no retry comes before its time.
      for (let i = 0; i < 3; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(retries[i]! - 5);
      // What was recorded before the camera died is closed and playable.
      expect(closed.length).toBeGreaterThanOrEqual(1);
      expect((await probeVideo(closed[0]!.path)).durationMs).toBeGreaterThan(500);
    } finally {
      await supervisor.stop();
    }
    expect(await done).toEqual({ kind: 'stopped' });
  }, 300_000);
});
