import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bandLuma } from '@gic/edge/capture/testing/test-clips.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'gic-demo-'));
chmodSync(dir, 0o711); // embedded PostgreSQL runs as user postgres when tests run as root

interface Run {
  child: ChildProcess;
  output: () => string;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

async function startDemo(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  child.on('error', (err) => {
    output += `demo.mjs could not be started: ${err.message}\n`;
  });
  const waitFor = async (text: string, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (Date.now() > end || child.exitCode !== null)
        throw new Error(`no "${text}" in demo output:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => output, waitFor, exited };
}

/**
 * Runs `body` on a started demo and stops the demo however `body` ends: a failed test must not leave
 * its hub on the port the next test starts its own on.
 */
async function withDemo(env: Record<string, string>, body: (run: Run) => Promise<void>): Promise<void> {
  const run = await startDemo(env);
  try {
    await body(run);
  } finally {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGINT');
      await run.exited;
    }
  }
}

/** The mean luma (0-255) of the one recording in `folder`, every half second, decoded with GStreamer. */
async function recordingBrightness(folder: string): Promise<{ ptsMs: number; mean: number }[]> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.mp4'));
  expect(files, `recordings in ${folder}`).toHaveLength(1);
  const out = [];
  for await (const frame of readFileFrames(join(folder, files[0]!), { width: 320, height: 180, fps: 2 }))
    out.push({ ptsMs: frame.ptsMs, mean: Math.round(bandLuma(frame, 0, 1)) });
  return out;
}

/** Times at which each part logged "stopped", in log order. */
function stops(logFile: string): { part: string; time: number }[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"stopped"'))
    .map((l) => JSON.parse(l))
    .map((l) => ({ part: l.part, time: Date.parse(l.time) }));
}

describe('npm run demo (scripts/demo.mjs)', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(root, 'hub/dist/main.js'))) throw new Error('build first: npx tsc -b');
    const clip = join(dir, 'clip.mp4');
    // 6 s: a procedure started 1 s into the body still outlasts the recorder's 1.5 s delay, so it has a
    // recording (one shorter than that delay has none).
    await generateSampleVideo(clip, { seconds: 6 });
    const [hub, mqtt, edge, pg, s3] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    env = {
      GIC_DEMO_DIR: join(dir, 'demo'),
      GIC_DEMO_SOURCE: clip,
      GIC_HUB_PORT: String(hub),
      GIC_MQTT_PORT: String(mqtt),
      GIC_EDGE_PORT: String(edge),
      GIC_EMBEDDED_PG_PORT: String(pg),
      GIC_EMBEDDED_S3_PORT: String(s3),
      // A short clip: start its procedure after 1 s in the body, not the default 3 s.
      GIC_PROCEDURE_AUTO_START_S: '1',
      // A fixed 3 fps, so the frame count below does not depend on how much the clip moves.
      GIC_ANALYSIS_FPS: '3',
      GIC_ANALYSIS_MIN_FPS: '3',
    };
  }, 60_000);

  it(
    'runs the whole path, prints the URLs and the admin login, and stops edge then hub on Ctrl-C',
    () =>
      withDemo(env, async (run) => {
        await run.waitFor('procedure done', 90_000);
        const out = run.output();
        expect(out).toMatch(new RegExp(`Hub portal: +http://127.0.0.1:${env.GIC_HUB_PORT}/`));
        expect(out).toMatch(new RegExp(`In-room screen: +http://127.0.0.1:${env.GIC_EDGE_PORT}/`));
        const password = readFileSync(join(dir, 'demo/hub/initial-admin-password'), 'utf8').trim();
        expect(out).toContain(`Admin login:     admin / ${password}`);
        // 6 s at 3 fps: at most 19 frames (e2e-demo-path.test.ts counts them exactly).
        // A procedure sealed without video prints "no recording (<the edge's reason>)": shown whole.
        const doneLine =
          /procedure done: (\d+) frames analysed, (\d+) text regions masked, recording available/;
        expect(out).toMatch(doneLine);
        const done = out.match(doneLine);
        expect(Number(done?.[1])).toBeGreaterThan(0);
        expect(Number(done?.[1])).toBeLessThanOrEqual(19);
        expect(Number(done?.[2])).toBeGreaterThanOrEqual(Number(done?.[1]));
        // The recording shows the picture once the scope has been in the body for longer than the
        // recorder's delay: replayed at the analysis's pace, every sampled frame is judged before it is
        // recorded (live-paced on this CPU, it was masked whole: black from start to end).
        const brightness = await recordingBrightness(join(dir, 'demo/edge/recordings'));
        expect(brightness.length, 'frames decoded from the demo recording').toBeGreaterThanOrEqual(10);
        const shown = brightness.filter((b) => b.ptsMs >= 2500);
        expect(
          shown.every((b) => b.mean > 15),
          `mean brightness each half second: ${JSON.stringify(brightness)}`,
        ).toBe(true);

        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
        const edgeStops = stops(join(dir, 'demo/edge.log'));
        const hubStops = stops(join(dir, 'demo/hub.log'));
        expect(edgeStops.map((s) => s.part)).toEqual([
          'capture',
          'analysis-watchdog',
          'sync',
          'enrolment',
          'live-push',
          'telemetry',
          'disk-check',
          'http',
          'procedure-timer',
          'frame-findings',
          'chat-recogniser',
          'vlm',
          'models',
          'sqlite',
        ]);
        expect(hubStops.map((s) => s.part)).toEqual([
          'http',
          'rollouts',
          'command-sender',
          'vlm',
          'queue-pauses',
          'ingest',
          'broker',
          'job-queue',
          'batch-engine',
          'object-store',
          'embedded-s3',
          'database-pool',
          'embedded-postgres',
        ]);
        expect(edgeStops.at(-1)!.time).toBeLessThanOrEqual(hubStops[0]!.time);
      }),
    120_000,
  );

  it(
    'starts again on the same data without enrolling twice, and keeps what the first run wrote',
    () =>
      withDemo({ ...env, GIC_ADMIN_PASSWORD: 'second-run-password' }, async (run) => {
        await run.waitFor('procedure done', 90_000);
        expect(run.output()).not.toContain('enrolment token created');
        expect(run.output()).toContain('Admin login:     admin / second-run-password');
        const res = await fetch(`http://127.0.0.1:${env.GIC_HUB_PORT}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: 'second-run-password' }),
        });
        const { accessToken } = (await res.json()) as { accessToken: string };
        const list = await fetch(`http://127.0.0.1:${env.GIC_HUB_PORT}/api/v1/procedures`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        const { items } = (await list.json()) as { items: { deviceId: string; syncState: string }[] };
        expect(items).toHaveLength(2);
        expect(new Set(items.map((p) => p.deviceId)).size).toBe(1);
        expect(items.every((p) => p.syncState === 'available')).toBe(true);
        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
      }),
    120_000,
  );
});
