#!/usr/bin/env node
// The demo: starts the hub on embedded defaults (PostgreSQL, S3 server, MQTT broker), enrols one
// edge box, and has it replay the generated sample clip through the real pipeline. Prints the URLs
// and the admin login; Ctrl-C stops the edge, then the hub, each letting its parts close in order.
//
// Settings (environment): GIC_DEMO_DIR (.gic/demo), GIC_HUB_PORT (8080), GIC_MQTT_PORT (1883),
// GIC_EDGE_PORT (8090), GIC_EMBEDDED_PG_PORT (54329), GIC_EMBEDDED_S3_PORT (9000),
// GIC_ADMIN_PASSWORD, GIC_DEMO_SOURCE (the sample clip), GIC_SOURCE_LOOP (false),
// GIC_REPLAY_REALTIME (false: the clip is replayed at the analysis's pace, see below).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SAMPLE_OSD_MASKS } from '@gic/shared/media/sample-video.js';

// GIC_DEMO_T0 (ms) is set by `npm run demo` before set-up, so the times printed include it.
const t0 = Number(process.env.GIC_DEMO_T0 || Date.now());
const root = resolve(import.meta.dirname, '..');
const dir = resolve(process.env.GIC_DEMO_DIR ?? join(root, '.gic/demo'));
const hubPort = process.env.GIC_HUB_PORT ?? '8080';
const edgePort = process.env.GIC_EDGE_PORT ?? '8090';
const hubUrl = `http://127.0.0.1:${hubPort}`;
const edgeUrl = `http://127.0.0.1:${edgePort}`;
const source = resolve(process.env.GIC_DEMO_SOURCE ?? join(root, '.gic/sample/sample.mp4'));
mkdirSync(dir, { recursive: true });

const say = (line) => console.log(`[demo +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const children = [];

function start(name, script, env) {
  const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  // Own process group: Ctrl-C reaches only this script, which then stops the parts in order.
  const child = spawn(process.execPath, [join(root, script)], {
    env: {
      ...process.env,
      // The pinned AWS SDK runs on Node 20; its notice about future releases is noise in the demo.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // A log that cannot be written is said once; the part runs on.
  log.once('error', (err) => say(`cannot write ${name}.log: ${err.message}`));
  log.on('error', () => {});
  child.stdout.pipe(log);
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    if (!stopping) process.stderr.write(`[${name}] ${chunk}`);
  });
  child.exited = new Promise((r) => {
    child.once('exit', (code, signal) => r(code ?? signal));
    // Could not be started at all (no 'exit' follows): said as its exit.
    child.once('error', (err) => {
      if (child.exitCode !== null) r(`not started: ${err.message}`);
    });
  });
  child.exited.then((code) => {
    if (!stopping) {
      say(`${name} exited unexpectedly (${code}): ${lastError(join(dir, `${name}.log`))}`);
      say(`full log: ${join(dir, `${name}.log`)}`);
      shutdown(1);
    }
  });
  children.push({ name, child });
  return child;
}

/** The last error a process logged, in a line a person can read. */
function lastError(logFile) {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').reverse() : [];
  for (const line of lines) {
    try {
      const entry = JSON.parse(line);
      if (entry.level >= 50) {
        const detail = entry.err?.message;
        return detail && !entry.msg.includes(detail) ? `${entry.msg}: ${detail}` : entry.msg;
      }
    } catch {
      // not a JSON line (a warning printed by a library)
    }
  }
  return 'no error logged';
}

async function waitFor(what, check, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch {}
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    // Once a second: the hub's API allows each user 100 requests a minute.
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function json(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping: edge first, then hub');
  for (const { name, child } of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGINT');
      const result = await Promise.race([
        child.exited,
        new Promise((r) => setTimeout(() => r('timeout'), 30_000)),
      ]);
      if (result === 'timeout') child.kill('SIGKILL');
      say(`${name} stopped (${result})`);
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

try {
  if (!existsSync(source)) throw new Error(`sample clip ${source} is missing; run: npm run demo`);
  const hubDir = join(dir, 'hub');
  start('hub', 'hub/dist/main.js', { GIC_HUB_DATA_DIR: hubDir, GIC_HUB_PORT: hubPort });
  await waitFor('the hub', () => json(`${hubUrl}/health/ready`).then((r) => r.ok));
  say(`hub ready at ${hubUrl} (embedded PostgreSQL, S3 server and MQTT broker)`);

  const password =
    process.env.GIC_ADMIN_PASSWORD ?? readFileSync(join(hubDir, 'initial-admin-password'), 'utf8').trim();
  const edgeDir = join(dir, 'edge');
  const edgeEnv = {
    GIC_EDGE_DATA_DIR: edgeDir,
    GIC_EDGE_PORT: edgePort,
    GIC_HUB_URL: hubUrl,
    GIC_SOURCE: `file:${source}`,
    // Replayed at the analysis's pace, not the clip's frame rate: on a machine with no accelerator the
    // full model set judges a 720p frame in about 0.7 s, further behind the video than the recorder's
    // delay allows, so a live-paced recording would be masked whole (failing closed). At this pace
    // every sampled frame is judged before it is recorded. GIC_REPLAY_REALTIME=true paces it as a tower.
    GIC_REPLAY_REALTIME: process.env.GIC_REPLAY_REALTIME ?? 'false',
    GIC_PRIVACY_MASKS: JSON.stringify(SAMPLE_OSD_MASKS),
    GIC_MODELS_DIR: join(root, 'models'),
  };
  if (!existsSync(join(edgeDir, 'device-credentials.json'))) {
    const { accessToken } = await json(`${hubUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { token } = await json(`${hubUrl}/api/v1/devices/enrolment-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ ttlHours: 1 }),
    });
    edgeEnv.GIC_ENROLMENT_TOKEN = token;
    say('enrolment token created; the edge enrols with it');
  }
  start('edge', 'edge/dist/main.js', edgeEnv);
  await waitFor('the edge', () => json(`${edgeUrl}/health/live`).then((r) => r.ok));
  say(
    `edge replaying ${source} ${edgeEnv.GIC_REPLAY_REALTIME === 'false' ? "at the analysis's pace" : 'at its frame rate'}`,
  );

  console.log('');
  console.log(`  Hub portal:      ${hubUrl}/`);
  console.log(`  In-room screen:  ${edgeUrl}/`);
  console.log(`  Admin login:     admin / ${password}`);
  console.log(`  Logs:            ${join(dir, 'hub.log')}, ${join(dir, 'edge.log')}`);
  console.log('  Press Ctrl-C to stop.');
  console.log('');

  const { accessToken } = await json(`${hubUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  const auth = { headers: { authorization: `Bearer ${accessToken}` } };
  const since = new Date(Date.now() - 1000).toISOString();
  const current = async () => {
    const { items } = await json(`${hubUrl}/api/v1/procedures?limit=5`, auth);
    return items.find((p) => p.startedAt && p.startedAt >= since);
  };
  const first = await waitFor('the first ingested analysis', async () => {
    const p = await current();
    return p && p.analysedFrames > 0 ? p : undefined;
  });
  say(`first analysis ingested in PostgreSQL (procedure ${first.id})`);
  const done = await waitFor(
    'the recording to be verified',
    async () => {
      const p = await current();
      // 'no-recording': the edge sealed the procedure without video (its segments say why).
      return p && ['available', 'corrupt', 'no-recording'].includes(p.syncState) ? p : undefined;
    },
    300_000,
  );
  const recording =
    done.syncState === 'no-recording'
      ? `no recording (${done.segments?.map((s) => s.error).find(Boolean) ?? 'the edge sealed none'}; see ${join(dir, 'edge.log')})`
      : `recording ${done.syncState} (${done.recording?.segments ?? 0} segment(s), ${done.recording?.sizeBytes ?? 0} bytes, ` +
        `SHA-256 ${done.segments?.[0]?.sha256?.slice(0, 16) ?? '-'}...)`;
  say(
    `procedure done: ${done.analysedFrames} frames analysed, ${done.privacyRegions} text regions masked, ${recording}`,
  );
  say('the pages stay up; press Ctrl-C to stop');
} catch (err) {
  say(`failed: ${err.message}`);
  await shutdown(1);
}
