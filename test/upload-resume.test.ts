import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEdgeDatabase } from '@gic/edge/store/edge-database.js';
import { HubClient } from '@gic/edge/sync/hub-client.js';
import { finishRecording } from '@gic/edge/upload/finish-recording.js';
import { RecordingUploader } from '@gic/edge/upload/recording-uploader.js';
import { RecordingsStore } from '@gic/edge/upload/recordings-store.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken } from './helpers.js';
import { testHubEnv } from './test-database.js';

const MIB = 1024 * 1024;
const log = createLogger('resume', 'silent');

/** A hub started from its test config, and one device enrolled there through the API. */
async function hubWithDevice(dir: string, password: string, name: string) {
  const hub = await startHub(loadHubConfig(await testHubEnv(dir, password)), log);
  const keys = await generateDeviceKeyPair();
  const res = await fetch(`${hub.httpUrl}/api/v1/devices/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: await enrolmentToken(hub.httpUrl, password),
      name,
      publicKey: keys.publicJwk,
    }),
  });
  const credentials = {
    ...((await res.json()) as object),
    privateJwk: keys.privateJwk,
    publicJwk: keys.publicJwk,
  } as DeviceCredentials;
  return { hub, credentials };
}

describe('a recording upload interrupted part-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-resume-'));
  chmodSync(dir, 0o711);
  let hub: RunningHub;
  let credentials: DeviceCredentials;

  beforeAll(async () => {
    ({ hub, credentials } = await hubWithDevice(dir, 'resume-admin-password', 'resume'));
  }, 120_000);
  afterAll(() => hub?.stop());

  it('resumes from the parts recorded in SQLite, sends none twice, and the hub verifies the whole', async () => {
    const path = join(dir, 'edge.db');
    const db = openEdgeDatabase(path);
    const procedureId = randomUUID();
    db.prepare("INSERT INTO procedures (id, started_at, source_label) VALUES (?, ?, 'x')").run(
      procedureId,
      new Date().toISOString(),
    );
    const recordings = new RecordingsStore(db);
    const file = join(dir, 'recording.mp4');
    writeFileSync(file, randomBytes(21 * MIB)); // three 8 MiB parts, the last one short
    const recordingId = randomUUID();
    recordings.add(recordingId, procedureId, file);
    await finishRecording(recordings, recordingId);

    // Count the part PUTs each attempt makes.
    const puts: number[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === 'PUT') puts.push(Number(new URL(String(input)).searchParams.get('partNumber')));
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      const stop = new AbortController();
      const first = new RecordingUploader(recordings, new HubClient(credentials), log, 8 * MIB);
      // As a crash right after the first part is stored: SQLite holds the finished ones. (Waiting
      // for it by polling let all three finish first on a fast machine.)
      const storePart = recordings.addPart.bind(recordings);
      recordings.addPart = (id, part) => {
        storePart(id, part);
        stop.abort();
      };
      const interrupted = first.upload(recordingId, stop.signal);
      await expect(interrupted).rejects.toThrow();
      const done = recordings.parts(recordingId).map((p) => p.partNumber);
      expect(done.length).toBeGreaterThanOrEqual(1);
      expect(done.length).toBeLessThan(3);
      db.close();

      // A new process: a fresh store on the same file and a fresh uploader.
      const reopened = new RecordingsStore(openEdgeDatabase(path));
      const sentBefore = puts.length;
      const second = new RecordingUploader(reopened, new HubClient(credentials), log, 8 * MIB);
      expect(await second.upload(recordingId)).toBe('verified');
      const resent = puts.slice(sentBefore);
      expect(resent.sort()).toEqual([1, 2, 3].filter((n) => !done.includes(n)));
      expect(reopened.get(recordingId)?.status).toBe('verified');
      const { rows } = await hub.db.query('SELECT status, sha256_verified, size_bytes FROM recordings');
      expect(rows).toEqual([
        {
          status: 'available',
          sha256_verified: reopened.get(recordingId)?.sha256,
          size_bytes: String(21 * MIB),
        },
      ]);
    } finally {
      globalThis.fetch = realFetch;
    }
  }, 60_000);
});

describe('parts in flight at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-parallel-'));
  chmodSync(dir, 0o711);
  let hub: RunningHub;
  let credentials: DeviceCredentials;

  beforeAll(async () => {
    ({ hub, credentials } = await hubWithDevice(dir, 'parallel-admin-password', 'parallel'));
  }, 120_000);
  afterAll(() => hub?.stop());

  /** Uploads a 30 MiB recording in 5 MiB parts and notes when each part's PUT started and ended. */
  async function upload(maxBytesPerSecond: number, parallelParts: number) {
    const db = openEdgeDatabase(join(dir, `edge-${randomUUID()}.db`));
    const procedureId = randomUUID();
    db.prepare("INSERT INTO procedures (id, started_at, source_label) VALUES (?, ?, 'x')").run(
      procedureId,
      new Date().toISOString(),
    );
    const recordings = new RecordingsStore(db);
    const file = join(dir, `${procedureId}.mp4`);
    writeFileSync(file, randomBytes(30 * MIB));
    const recordingId = randomUUID();
    recordings.add(recordingId, procedureId, file);
    await finishRecording(recordings, recordingId);
    const puts: { start: number; end: number }[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method !== 'PUT') return realFetch(input, init);
      const put = { start: performance.now(), end: 0 };
      puts.push(put);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await realFetch(input, init);
      } finally {
        inFlight--;
        put.end = performance.now();
      }
    }) as typeof fetch;
    try {
      const uploader = new RecordingUploader(
        recordings,
        new HubClient(credentials),
        log,
        5 * MIB,
        maxBytesPerSecond,
        parallelParts,
      );
      const began = performance.now();
      const outcome = await uploader.upload(recordingId);
      const stored = recordings.parts(recordingId).map((p) => p.partNumber);
      db.close();
      return { outcome, puts, mostInFlight, stored, began };
    } finally {
      globalThis.fetch = realFetch;
    }
  }

  it('sends up to the configured number of parts at once, each once, and the hub verifies the whole', async () => {
    const { outcome, puts, mostInFlight, stored } = await upload(0, 3);
    expect(outcome).toBe('verified');
    expect(puts).toHaveLength(6);
    expect(stored.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mostInFlight).toBe(3);
  }, 60_000);

  it('under a rate cap, spaces the parts so the average holds, however many are in flight', async () => {
    const cap = 25_000_000; // bytes/s: one 5 MiB part every 0.21 s
    const { outcome, puts, began } = await upload(cap, 3);
    expect(outcome).toBe('verified');
    const starts = puts.map((p) => p.start).sort((a, b) => a - b);
    const slot = ((5 * MIB) / cap) * 1000;
    console.info(
      `cap ${cap / 1e6} MB/s, slot ${slot.toFixed(0)} ms, part starts after the upload began (ms):`,
      starts.map((s) => Math.round(s - began)),
    );
    // The k-th part starts k slots after the first part's slot or later, and that slot comes after the
    // upload began: so k slots after the upload began or later, however late a timer or a read made any
    // part (a late part delays itself, never the slots after it). Not measured from the first PUT: on
    // a busy machine that PUT itself can start tens of ms after its slot (CI on Node 24 saw the second
    // part 171 ms after the first, with slots 210 ms apart). 15 ms (7% of a slot): a timer counts from
    // the event loop's time, cached when its turn began, so it can fire that much before its slot by
    // the clock here (a fresh-clone run measured a part 4.6 ms before its slot).
    for (const [k, start] of starts.entries()) expect(start - began).toBeGreaterThanOrEqual(k * slot - 15);
    // And they do not straggle: the last starts within a second of its slot.
    expect(starts.at(-1)! - began).toBeLessThan(5 * slot + 1000);
  }, 60_000);
});
