import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_S3_CREDENTIALS_FILE } from '@gic/hub/embedded/embedded-s3-credentials.js';
import { ObjectStore } from '@gic/hub/storage/object-store.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { exited, kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { TEST_PG_SYSTEM_DIR } from './test-database.js';

const root = join(import.meta.dirname, '..');
const PASSWORD = 'backup-admin-password';

/** `npm run backup|restore` as an operator runs it (the script's command), with a clean environment. */
async function runBackupCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; seconds: number }> {
  const clean: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG'] as const) if (process.env[key]) clean[key] = process.env[key];
  const t0 = Date.now();
  const child = spawn(process.execPath, [join('hub', 'dist', 'backup', 'main.js'), ...args], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (process.env.GIC_TEST_CHILD_LOGS) process.stderr.write(out);
  return { code, out, seconds: (Date.now() - t0) / 1000 };
}

describe('a restore drill: back up, wipe, restore, carry on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-backup-'));
  chmodSync(dir, 0o711);
  const dataDir = join(dir, 'hub');
  const backups = join(dir, 'backups');
  let env: Record<string, string>;
  let edgeEnv: Record<string, string>;
  let hub: UserProcess | undefined;
  let edge: UserProcess | undefined;
  let hubUrl: string;
  let ownerUrl: string;

  const startHub = async () => {
    hub = spawnAsUser('hub', env);
    await ready(hub.child, `${hubUrl}/health/ready`, 60_000);
  };
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  /** Runs the edge on the clip until its procedure has ended and its recording is verified at the hub. */
  const runEdge = async (extra: Record<string, string> = {}, chat = false) => {
    const before = (await query<{ id: string }>('SELECT id FROM procedures')).map((r) => r.id);
    edge = spawnAsUser('edge', { ...edgeEnv, ...extra });
    const id = await until(
      "the edge's procedure ended with its recording verified at the hub",
      async () => {
        const rows = await query<{ id: string }>(
          `SELECT p.id FROM procedures p JOIN recordings r ON r.procedure_id = p.id
            WHERE p.ended_at IS NOT NULL AND r.status = 'available' AND NOT (p.id = ANY($1::uuid[]))`,
          [before],
        );
        return rows[0]?.id;
      },
      40_000,
      250,
    );
    if (chat) {
      // A question in the room about the procedure just ended: the edge's outbox brings it to the hub.
      const asked = await fetch(`http://127.0.0.1:${edgeEnv.GIC_EDGE_PORT}/api/v1/chat/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'How long was the withdrawal?', by: 'Dr. Okafor' }),
      });
      expect(asked.status, await asked.text()).toBe(201);
      await until(
        'the room chat at the hub',
        async () =>
          (await query('SELECT 1 FROM chat_messages WHERE procedure_id = $1', [id])).length
            ? true
            : undefined,
        20_000,
        250,
      );
    }
    await kill(edge.child, 'SIGTERM');
    return id;
  };

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 3, width: 320, height: 180 });
    const pgPort = await freePort();
    const httpPort = await freePort();
    hubUrl = `http://127.0.0.1:${httpPort}`;
    ownerUrl = `postgres://postgres:gic-embedded@127.0.0.1:${pgPort}/gic`;
    // The embedded defaults: the hub's own PostgreSQL and S3 under its data folder.
    env = {
      GIC_HUB_DATA_DIR: dataDir,
      GIC_HUB_PORT: String(httpPort),
      GIC_MQTT_PORT: String(await freePort()),
      GIC_EMBEDDED_S3_PORT: String(await freePort()),
      GIC_EMBEDDED_PG_PORT: String(pgPort),
      GIC_EMBEDDED_PG_SYSTEM_DIR: TEST_PG_SYSTEM_DIR,
      GIC_ADMIN_PASSWORD: PASSWORD,
      GIC_LOG_LEVEL: 'warn',
    };
    edgeEnv = {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(await freePort()),
      GIC_HUB_URL: hubUrl,
      GIC_SOURCE: `file:${clip}`,
      GIC_ANALYSIS_FPS: '5',
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(root, 'models'),
      GIC_PROCEDURE_AUTO_START_S: '0',
      GIC_LOG_LEVEL: 'warn',
    };
    await startHub();
  }, 90_000);

  afterAll(async () => {
    if (edge) await kill(edge.child);
    if (hub) {
      hub.child.kill('SIGTERM');
      await exited(hub.child);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('brings back every procedure, recording, chat message and audit record, with the guard, and the edge syncs on', async () => {
    const procedureId = await runEdge({ GIC_ENROLMENT_TOKEN: await enrolmentToken(hubUrl, PASSWORD) }, true);
    const token = await adminToken(hubUrl, PASSWORD);
    const asked = await fetch(`${hubUrl}/api/v1/chat/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ procedureId, text: 'How long was the withdrawal?' }),
    });
    expect(asked.status).toBe(201);
    const snapshot = async () => ({
      procedures: await query('SELECT * FROM procedures ORDER BY id'),
      recordings: await query('SELECT * FROM recordings ORDER BY id'),
      // The room's chat (from the edges) and the review chat (asked at the hub).
      chat: await query('SELECT * FROM chat_messages ORDER BY device_id, message_id'),
      review: await query('SELECT * FROM review_chat_messages ORDER BY message_id'),
      audit: await query('SELECT * FROM audit_log ORDER BY id'),
    });
    const before = await snapshot();
    expect(before.recordings.length).toBeGreaterThan(0);
    expect(before.chat.length).toBeGreaterThan(0);
    expect(before.review.length).toBeGreaterThan(0);
    expect(before.audit.length).toBeGreaterThan(0);

    // Backed up while the hub runs; a bad --keep-days is refused with a clear message.
    const bad = await runBackupCommand(['backup', backups, '--keep-days', 'x'], env);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--keep-days needs a whole number');
    const backup = await runBackupCommand(['backup', backups, '--keep-days', '30'], env);
    expect(backup.out).toContain('backup done');
    expect(backup.code).toBe(0);
    const backupDir = /backup done in [\d.]+ s: (\S+)/.exec(backup.out)![1]!;

    // A restore into a running hub is refused.
    const refused = await runBackupCommand(['restore', backupDir], env);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('the hub is running');

    // Stop the hub and lose its database and object store.
    hub!.child.kill('SIGTERM');
    await exited(hub!.child);
    rmSync(join(dataDir, 'postgres'), { recursive: true, force: true });
    rmSync(join(dataDir, 's3'), { recursive: true, force: true });

    const missing = await runBackupCommand(['restore', join(dir, 'no-such-backup')], env);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('does not exist');
    const restore = await runBackupCommand(['restore', backupDir], env);
    expect(restore.out).toContain('restore done');
    expect(restore.code).toBe(0);
    process.stderr.write(
      `backup ${backup.seconds.toFixed(1)} s, restore ${restore.seconds.toFixed(1)} s\n${backup.out}${restore.out}`,
    );

    await startHub();
    const after = await snapshot();
    expect(after.procedures).toEqual(before.procedures);
    expect(after.recordings).toEqual(before.recordings);
    expect(after.chat).toEqual(before.chat);
    expect(after.review).toEqual(before.review);
    // The audit log as it was, and the restarted hub's own records after it.
    expect(after.audit.slice(0, before.audit.length)).toEqual(before.audit);
    const store = new ObjectStore({
      endpoint: `http://127.0.0.1:${env.GIC_EMBEDDED_S3_PORT}`,
      region: 'us-east-1',
      // The pair the hub made for its embedded S3 server, in its data directory.
      ...(JSON.parse(readFileSync(join(env.GIC_HUB_DATA_DIR!, EMBEDDED_S3_CREDENTIALS_FILE), 'utf8')) as {
        accessKeyId: string;
        secretAccessKey: string;
      }),
      bucket: 'gic-recordings',
      forcePathStyle: true,
    });
    try {
      for (const r of after.recordings) {
        expect((await store.sha256(r.object_key as string)).sha256).toBe(r.sha256_verified);
      }
    } finally {
      store.close();
    }
    // The guard: the trigger refuses UPDATE even to the owner, and gic_app may not even try.
    await expect(query('UPDATE audit_log SET action = action')).rejects.toThrow(/append-only/);
    const [priv] = await query<{ u: boolean }>(
      "SELECT has_table_privilege('gic_app', 'audit_log', 'UPDATE') AS u",
    );
    expect(priv!.u).toBe(false);

    // The edge carries on: a new procedure after the restore arrives at the hub.
    const next = await runEdge();
    expect(next).not.toBe(procedureId);
  }, 120_000);
});
