import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, until } from './helpers.js';
import { makePhotos } from './photos.js';
import { freePort } from './ports.js';
import { exited, kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'endurance-admin-password';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGINT and resolves with how long the process took to exit (ms) and its exit code. */
async function interrupt(p: UserProcess): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  p.child.kill('SIGINT');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  await exited(p.child);
  clearTimeout(timer);
  return { ms: Date.now() - started, code: p.child.exitCode };
}

describe('an edge and a hub started as a user starts them, under load and stalls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-endurance-'));
  let hub: UserProcess;
  let hubUrl: string;
  let photos: { name: string; bytes: Buffer }[];

  beforeAll(async () => {
    const env = await testHubEnv(dir, PASSWORD);
    hubUrl = `http://127.0.0.1:${env.GIC_HUB_PORT}`;
    [photos] = await Promise.all([
      makePhotos(dir),
      (async () => {
        hub = spawnAsUser('hub', env);
        await ready(hub.child, `${hubUrl}/health/ready`, 60_000);
      })(),
    ]);
  }, 120_000);

  afterAll(async () => {
    if (hub) await kill(hub.child, 'SIGINT');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps analysing, answers every still image and stays ready for a minute of live video, recording and 24 parallel photo requests, then stops on SIGINT', async () => {
    const port = await freePort();
    const edgeUrl = `http://127.0.0.1:${port}`;
    // The README's own start of a box: the test pattern, recorder on (short segments, so that many
    // recording pipelines come and go), nothing else set.
    const edge = spawnAsUser('edge', {
      GIC_SOURCE: 'test',
      GIC_EDGE_PORT: String(port),
      GIC_EDGE_DATA_DIR: join(dir, 'edge-load'),
      GIC_HUB_URL: hubUrl,
      GIC_ENROLMENT_TOKEN: await enrolmentToken(hubUrl, PASSWORD),
      GIC_RECORDING_SEGMENT_S: '5',
    });
    try {
      await ready(edge.child, `${edgeUrl}/health/ready`, 60_000);
      const pool = edge.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('libuv thread pool'));
      expect(pool?.msg).toMatch(
        /^libuv thread pool: 4 threads \(the default\); GStreamer waits on none of them/,
      );
      // A procedure, so that its recording segments are kept and uploaded while all this goes on.
      expect(
        (
          await fetch(`${edgeUrl}/api/v1/procedures`, {
            method: 'POST',
            body: '{}',
            headers: { 'content-type': 'application/json' },
          })
        ).status,
      ).toBe(201);
      const session = (await (
        await fetch(`${edgeUrl}/api/v1/realtime/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ label: 'endurance' }),
        })
      ).json()) as { sessionId: string };

      const until60s = Date.now() + 60_000;
      const answers: { status: number; ms: number; photo: string }[] = [];
      const workers = Array.from({ length: 24 }, async (_, w) => {
        for (let i = w; Date.now() < until60s; i++) {
          const photo = photos[i % photos.length]!;
          const started = Date.now();
          const res = await fetch(`${edgeUrl}/api/v1/realtime/frame?sessionId=${session.sessionId}`, {
            method: 'POST',
            headers: { 'content-type': 'image/jpeg' },
            body: new Uint8Array(photo.bytes),
            // Each answer waits behind those in flight (24, two served at a time, at a lower priority
            // than the live video): a median of 12 s on one 2-core machine; on a slower one 39-59 s
            // quiet and 100 s (at most 119 s) in a fresh-clone run. This bound is for a lost request,
            // not a slow one (the figures are printed).
            signal: AbortSignal.timeout(300_000),
          }).catch((err: Error) => ({ status: 0, text: () => Promise.resolve(err.message) }));
          answers.push({ status: res.status, ms: Date.now() - started, photo: photo.name });
          if (res.status !== 200) console.log(`photo ${photo.name}: ${res.status} ${await res.text()}`);
        }
      });
      const samples: { framesAnalysed: number; ready: number; state: string }[] = [];
      const sampling = (async () => {
        while (Date.now() < until60s) {
          const live = (await (await fetch(`${edgeUrl}/api/v1/realtime/analysis`)).json()) as {
            framesAnalysed: number;
            source: { state: string };
          };
          const readiness = await fetch(`${edgeUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) });
          samples.push({
            framesAnalysed: live.framesAnalysed,
            ready: readiness.status,
            state: live.source.state,
          });
          await wait(5000);
        }
      })();
      await Promise.all([...workers, sampling]);

      const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
      console.log(
        `a minute under load: ${answers.length} photos answered (p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms); frames analysed ${samples.map((s) => s.framesAnalysed).join(' -> ')}`,
      );
      // Photos keep being answered: more than the 24 in flight. (How many depends on the CPU: each is
      // searched for text in full at 1280x720, about 0.2 s of model time here; bench:edge measures it.)
      // Any sample that was not ready and live, with what the edge logged as warnings meanwhile.
      const notReady = samples
        .map((s, i) => ({ i, ...s }))
        .filter((s) => s.ready !== 200 || s.state !== 'live');
      if (notReady.length > 0)
        console.log(
          `not ready or not live: ${JSON.stringify(notReady)}; the edge's warnings: ${JSON.stringify(
            edge.logs
              .filter((l) => Number(l.level) >= 40)
              .map((l) => ({ time: l.time, msg: l.msg, reason: l.reason ?? l.err }))
              .slice(-20),
          )}`,
        );
      expect(answers.length).toBeGreaterThan(24);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(samples.length).toBeGreaterThanOrEqual(10);
      expect(samples.every((s) => s.ready === 200 && s.state === 'live')).toBe(true);
      // The live analysis never stops: it moves on between every two samples (5 s apart).
      for (let i = 1; i < samples.length; i++)
        expect(samples[i]!.framesAnalysed).toBeGreaterThan(samples[i - 1]!.framesAnalysed);

      const stopped = await interrupt(edge);
      console.log(`SIGINT: edge exited ${stopped.code} after ${stopped.ms} ms`);
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
    } finally {
      await kill(edge.child);
    }
  }, 420_000);

  it('shows, reports and recovers from a stalled analysis when the capture stops delivering but stays open', async () => {
    // A capture source that goes silent without closing: a FIFO fed by a GStreamer process that is
    // then frozen with SIGSTOP, as a capture card whose driver stops answering.
    const fifo = join(dir, 'capture.ts');
    await new Promise((resolve, reject) =>
      execFile('mkfifo', [fifo], (err) => (err ? reject(err) : resolve(null))),
    );
    const writer = spawn(
      'gst-launch-1.0',
      [
        '-q',
        'videotestsrc',
        'is-live=true',
        'pattern=ball',
        '!',
        'video/x-raw,width=640,height=360,framerate=15/1',
        '!',
        'x264enc',
        'tune=zerolatency',
        'key-int-max=15',
        '!',
        'mpegtsmux',
        '!',
        'filesink',
        `location=${fifo}`,
      ],
      { stdio: 'ignore' },
    );
    const port = await freePort();
    const edgeUrl = `http://127.0.0.1:${port}`;
    const edge = spawnAsUser('edge', {
      GIC_SOURCE: `file:${fifo}`,
      GIC_EDGE_PORT: String(port),
      GIC_EDGE_DATA_DIR: join(dir, 'edge-stall'),
      GIC_HUB_URL: hubUrl,
      GIC_ENROLMENT_TOKEN: await enrolmentToken(hubUrl, PASSWORD),
      GIC_EDGE_NAME: 'stall-room',
      GIC_ANALYSIS_STALL_S: '4',
    });
    const token = await adminToken(hubUrl, PASSWORD);
    type Live = {
      framesAnalysed: number;
      source: { state: string };
      analysis: { state: string; restarts: number; message?: string };
    };
    const live = async () => (await (await fetch(`${edgeUrl}/api/v1/realtime/analysis`)).json()) as Live;
    const atHub = async () => {
      const res = await fetch(`${hubUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
      const { items } = (await res.json()) as {
        items: { name: string; telemetry?: { analysis?: { state: string } } }[];
      };
      return items.find((d) => d.name === 'stall-room')?.telemetry?.analysis?.state;
    };
    try {
      await ready(edge.child, `${edgeUrl}/health/ready`, 60_000);
      await until(
        'live analysis',
        async () => ((await live()).analysis.state === 'running' ? true : undefined),
        30_000,
      );
      await until(
        'the hub to hear the analysis runs',
        async () => ((await atHub()) === 'running' ? true : undefined),
        30_000,
      );

      writer.kill('SIGSTOP');
      const stalled = await until(
        'the stall to be noticed',
        async () => {
          const s = await live();
          return s.analysis.state === 'stalled' ? s : undefined;
        },
        30_000,
      );
      expect(stalled.analysis.message).toMatch(/no frame analysed for \d+ s while the source is live/);
      const readiness = await fetch(`${edgeUrl}/health/ready`);
      expect(readiness.status).toBe(503);
      const body = (await readiness.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
      expect(body.checks.analysis?.ok).toBe(false);
      expect(body.checks.analysis?.error).toMatch(/analysis stalled/);
      expect(body.checks.threadpool?.ok).toBe(true);
      await until(
        'the hub to be told',
        async () => ((await atHub()) === 'stalled' ? true : undefined),
        30_000,
      );
      // The capture pipeline is restarted (again, with a growing gap) while the stall lasts.
      await until(
        'a second restart',
        async () => ((await live()).analysis.restarts >= 2 ? true : undefined),
        30_000,
      );
      expect(edge.logs.some((l) => l.msg === 'analysis stalled; restarting the capture pipeline')).toBe(true);

      writer.kill('SIGCONT');
      const back = await until(
        'analysis to run again',
        async () => {
          const s = await live();
          return s.analysis.state === 'running' ? s : undefined;
        },
        60_000,
      );
      expect(back.framesAnalysed).toBeGreaterThan(stalled.framesAnalysed);
      await until(
        'ready again',
        async () => ((await fetch(`${edgeUrl}/health/ready`)).status === 200 ? true : undefined),
        30_000,
      );
      await until(
        'the hub to hear it runs again',
        async () => ((await atHub()) === 'running' ? true : undefined),
        30_000,
      );
      console.log(
        `stall: noticed with ${stalled.analysis.restarts} restart(s); running again after ${back.analysis.restarts} restart(s)`,
      );

      const stopped = await interrupt(edge);
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
    } finally {
      writer.kill('SIGCONT');
      await kill(writer);
      await kill(edge.child);
    }
  }, 240_000);
});
