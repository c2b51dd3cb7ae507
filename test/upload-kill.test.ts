import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcedureLog } from '@gic/edge/live/procedure-log.js';
import { SqliteOutbox } from '@gic/edge/outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '@gic/edge/store/edge-database.js';
import { finishRecording } from '@gic/edge/upload/finish-recording.js';
import { RecordingsStore } from '@gic/edge/upload/recordings-store.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, sequenceAtHub, until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, spawnMain } from './processes.js';
import { S3PartProxy } from './s3-part-proxy.js';
import { createTestDatabase } from './test-database.js';

const MIB = 1024 * 1024;
const root = join(import.meta.dirname, '..');
const RECORDING_BYTES = 26 * MIB; // six 5 MiB parts, the last one 1 MiB
const LINK_BYTES_PER_S = 4_000_000; // the slow link at the proxy: a 5 MiB part is in flight ~1.3 s

/** When to pull the plug, judged from SQLite's finished parts and the part PUT in flight at the proxy. */
const KILLS: {
  name: string;
  when: (done: number[], inFlight: { partNumber: number; bytes: number }[]) => boolean;
}[] = [
  { name: 'mid-part', when: (done, flying) => done.length >= 1 && flying.some((p) => p.bytes >= MIB) },
  { name: 'between parts', when: (done, flying) => done.length >= 3 && flying.length === 0 },
  { name: 'mid-part', when: (done, flying) => done.length >= 4 && flying.some((p) => p.bytes >= MIB) },
];

/**
 * An edge process uploading a recording over a slow, capped link, killed with SIGKILL in the middle
 * of the upload three times (twice with a part's body half sent, once between parts), then left to
 * finish. The recording is one the edge sealed before the hub was reachable (an earlier procedure),
 * registered through the edge's own store, outbox and sealing code; each run also records the clip.
 */
describe('an edge process killed with SIGKILL mid-upload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-upkill-'));
  chmodSync(dir, 0o711);
  const edgeDir = join(dir, 'edge');
  let s3: EmbeddedS3Handle;
  let proxy: S3PartProxy;
  let hub: RunningHub;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  const big = { procedureId: '', recordingId: randomUUID(), sha256: '' };

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 3, width: 640, height: 360 });
    const { url, db } = await createTestDatabase();
    await db.end();
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    proxy = new S3PartProxy(Number(new URL(s3.endpoint).port), await freePort(), LINK_BYTES_PER_S);
    await proxy.start();
    hub = await startHub(
      loadHubConfig({
        DATABASE_URL: url,
        S3_ENDPOINT: s3.endpoint,
        S3_PUBLIC_ENDPOINT: proxy.url,
        S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        GIC_MQTT_PORT: String(await freePort()),
        GIC_HUB_PORT: String(await freePort()),
        GIC_HUB_DATA_DIR: join(dir, 'hub'),
        GIC_ADMIN_PASSWORD: 'upkill-admin-password',
      }),
      createLogger('upkill', 'silent'),
    );

    // An earlier procedure whose long recording waited for the network: its events and its sealed
    // recording go through the edge's own code, into the SQLite the edge process will open.
    mkdirSync(join(edgeDir, 'recordings'), { recursive: true });
    const edgeDb = openEdgeDatabase(join(edgeDir, 'edge.db'));
    const outbox = new SqliteOutbox(edgeDb);
    const procedures = new ProcedureLog(edgeDb, outbox);
    const recordings = new RecordingsStore(edgeDb);
    const path = join(edgeDir, 'recordings', 'earlier.mp4');
    big.procedureId = procedures.start({ kind: 'file', path, loop: false }, 'earlier.mp4', {
      trigger: 'operator',
      operator: null,
    }).id;
    writeFileSync(path, randomBytes(RECORDING_BYTES));
    recordings.add(big.recordingId, big.procedureId, path);
    procedures.end(big.procedureId, 'source-ended');
    expect(await finishRecording(recordings, big.recordingId, outbox)).toBe(true);
    big.sha256 = recordings.get(big.recordingId)!.sha256!;
    edgeDb.close();

    env = {
      GIC_EDGE_DATA_DIR: edgeDir,
      GIC_EDGE_PORT: String(await freePort()),
      GIC_HUB_URL: hub.httpUrl,
      GIC_SOURCE: `file:${clip}`,
      GIC_REPLAY_REALTIME: 'true',
      GIC_ANALYSIS_FPS: '3',
      GIC_ANALYSIS_MIN_FPS: '3', // a fixed rate: the counts below must not depend on motion
      GIC_PROCEDURE_AUTO_START_S: '0', // each run, killed seconds in, has a procedure of its own
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(root, 'models'),
      GIC_UPLOAD_PART_MB: '5',
      GIC_UPLOAD_MAX_MBPS: '2',
    };
  }, 120_000);

  afterAll(async () => {
    if (child) await kill(child);
    await hub?.stop();
    await proxy?.stop();
    await s3?.stop();
  });

  it('resumes from the parts in SQLite each time, re-sends at most the part in flight, and delivers it intact', async () => {
    const local = new Database(join(edgeDir, 'edge.db'), { readonly: true, fileMustExist: true });
    const partsDone = () =>
      (
        local
          .prepare('SELECT part_number AS n FROM upload_parts WHERE recording_id = ? ORDER BY part_number')
          .all(big.recordingId) as { n: number }[]
      ).map((r) => r.n);
    const started = Date.now();
    child = spawnMain('edge', {
      ...env,
      GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, 'upkill-admin-password'),
    });
    const upload = await until('the hub to start the upload', async () => {
      const { rows } = await hub.db.query(
        'SELECT upload_id, part_size FROM recordings WHERE procedure_id = $1',
        [big.procedureId],
      );
      return rows[0] as { upload_id: string; part_size: number } | undefined;
    });
    const partCount = Math.ceil(RECORDING_BYTES / upload.part_size);
    expect(partCount).toBe(6);

    const kills: { name: string; at: number; done: number[]; inFlight: number[] }[] = [];
    for (const k of KILLS) {
      const at = await until(
        `the moment to kill (${k.name})`,
        () => (k.when(partsDone(), proxy.inFlight(upload.upload_id)) ? Date.now() : undefined),
        60_000,
      );
      const inFlight = proxy.inFlight(upload.upload_id).map((p) => p.partNumber);
      await kill(child);
      kills.push({ name: k.name, at, done: partsDone(), inFlight });
      child = spawnMain('edge', env);
    }

    await until(
      'every procedure closed, every event confirmed, every recording verified',
      () => {
        const n = (sql: string) => (local.prepare(sql).get() as { n: number }).n;
        const open =
          n('SELECT count(*) AS n FROM procedures WHERE ended_at IS NULL') +
          n('SELECT count(*) AS n FROM outbox') +
          n("SELECT count(*) AS n FROM recordings WHERE status <> 'verified'");
        return open === 0 ? true : undefined;
      },
      90_000,
    );
    const finished = Date.now();
    await kill(child, 'SIGTERM');

    // Parts: every PUT of this upload that reached the S3 server, by part number.
    const puts = proxy.puts.filter((p) => p.uploadId === upload.upload_id);
    const stored = puts.filter((p) => p.status === 200);
    const resent = [
      ...new Set(puts.map((p) => p.partNumber).filter((n, i, all) => all.indexOf(n) !== i)),
    ].sort();
    // Events: each one the edge ever made has a sequence number; none is reused.
    const produced = (local.prepare('SELECT last_seq AS n FROM event_sequence').get() as { n: number }).n;
    const events = (
      await hub.db.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM device_events')
    ).rows[0] as { n: number; d: number };
    const sequence = await sequenceAtHub(hub.db, produced);
    const edgeRecordings = local.prepare('SELECT procedure_id, sha256 FROM recordings').all() as {
      procedure_id: string;
      sha256: string;
    }[];
    const hubRecordings = (await hub.db.query('SELECT procedure_id, status, sha256_verified FROM recordings'))
      .rows as { procedure_id: string; status: string; sha256_verified: string }[];
    const corrupted = hubRecordings.filter(
      (h) => h.sha256_verified !== edgeRecordings.find((e) => e.procedure_id === h.procedure_id)?.sha256,
    ).length;
    local.close();
    console.log(
      `upload-kill: ${RECORDING_BYTES / MIB} MiB in ${partCount} parts of ${upload.part_size / MIB} MiB, link ${LINK_BYTES_PER_S / 1e6} MB/s, cap 2 MB/s; ` +
        kills
          .map(
            (k, i) =>
              `kill ${i + 1} (${k.name}) at ${((k.at - started) / 1000).toFixed(1)} s: parts done [${k.done}], in flight [${k.inFlight}]`,
          )
          .join('; ') +
        `; part PUTs sent ${puts.length} for ${partCount} parts (stored ${stored.length}, cut short ${puts.filter((p) => p.aborted).length}, re-sent [${resent}]); ` +
        `events produced ${produced} (sequence 1..${produced}), at hub ${events.n}: numbers missing ${sequence.missing.length}, repeated ${sequence.repeated.length}; ` +
        `recordings ${hubRecordings.length}, corrupted ${corrupted}; all synced ${((finished - started) / 1000).toFixed(1)} s after the first start`,
    );

    // A part recorded as done in SQLite at a kill is never sent again after it.
    for (const k of kills) {
      const after = puts.filter((p) => p.startedAt > k.at).map((p) => p.partNumber);
      expect(after.filter((n) => k.done.includes(n))).toEqual([]);
    }
    // Only a part that was in flight at a kill is sent twice, and every part is stored. A part in
    // flight may be stored twice: on a busy machine its PUT can finish between the moment chosen and
    // the kill landing, before the edge has written it down (which is why it is sent again).
    const inFlightAtKills = kills.flatMap((k) => k.inFlight);
    expect(resent.every((n) => inFlightAtKills.includes(n))).toBe(true);
    expect(puts.length).toBeLessThanOrEqual(partCount + inFlightAtKills.length);
    const storedParts = stored.map((p) => p.partNumber);
    expect([...new Set(storedParts)].sort()).toEqual(Array.from({ length: partCount }, (_, i) => i + 1));
    expect(
      storedParts.filter((n, i) => storedParts.indexOf(n) !== i).every((n) => inFlightAtKills.includes(n)),
    ).toBe(true);
    expect(kills.filter((k) => k.name === 'mid-part').every((k) => k.inFlight.length === 1)).toBe(true);
    // The hub's own SHA-256 of the whole object equals the edge's; nothing corrupted, lost or doubled.
    const bigAtHub = hubRecordings.find((h) => h.procedure_id === big.procedureId);
    expect(bigAtHub).toEqual({
      procedure_id: big.procedureId,
      status: 'available',
      sha256_verified: big.sha256,
    });
    expect(hubRecordings).toHaveLength(edgeRecordings.length);
    expect(hubRecordings.every((h) => h.status === 'available')).toBe(true);
    expect(corrupted).toBe(0);
    expect(events).toEqual({ n: produced, d: produced });
    expect(sequence).toEqual({ missing: [], repeated: [] });
  }, 180_000);
});
