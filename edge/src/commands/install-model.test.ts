import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import type { ModelInstall } from '@gic/shared/messages/model-install.js';
import {
  buildTinyPolypDetector,
  installTinyPolypModel,
  TINY_POLYP_ID,
  tinyPolypManifest,
} from '@gic/shared/testing/tiny-polyp-model.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFolders } from '../models/model-folders.js';
import { decideCommand } from './command-decision.js';
import { installModelRunner } from './install-model.js';

const log = createLogger('install-model-test', 'silent');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The tiny model's files served as the object store would serve presigned URLs. */
const files = new Map<string, Uint8Array>();

describe('installing a model on the box', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-install-model-'));
  const modelsDir = join(dir, 'models');
  let server: Server;
  let base: string;
  const folders = new ModelFolders(modelsDir);
  let procedure = false;
  let reloads = 0;
  /** Ids of the commands whose switch began (the handler answers `accepted` again then). */
  const begun: string[] = [];
  const runner = installModelRunner({
    folders,
    procedureRunning: () => procedure,
    reloadAnalyzers: async () => {
      reloads++;
    },
    log,
    pollMs: 50,
  });
  const run = (c: DeviceCommand) =>
    runner(c, {
      begin: async () => {
        begun.push(c.id);
      },
    });
  const command = (model: ModelInstall): DeviceCommand => ({
    id: randomUUID(),
    kind: 'install-model',
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    issuedBy: 'rollouts',
    model,
  });
  /** An install of `version` whose model file is `bytes` (served at a URL of its own). */
  const install = (version: string, bytes: Uint8Array, claimedSha = sha(bytes)): ModelInstall => {
    const path = `/${version}/model.onnx`;
    files.set(path, bytes);
    return {
      action: 'install',
      modelId: TINY_POLYP_ID,
      version,
      manifest: { ...tinyPolypManifest(claimedSha, 64, 48), version },
      files: [{ name: 'model.onnx', url: `${base}${path}`, sha256: claimedSha }],
      maxLatencyMs: 10_000,
    };
  };
  const v2 = buildTinyPolypDetector({ width: 64, height: 48 });

  beforeAll(async () => {
    installTinyPolypModel(modelsDir); // 1.0.0, as set-up puts it
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(Buffer.from(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads, checks every SHA-256, switches, passes the health check and keeps the previous version', async () => {
    const detail = await run(command(install('2.0.0', v2)));
    expect(detail).toMatchObject({
      action: 'install',
      modelId: TINY_POLYP_ID,
      version: '2.0.0',
      previous: '1.0.0',
    });
    expect(detail.latencyMs).toBeGreaterThanOrEqual(0);
    expect(reloads).toBe(1);
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('2.0.0');
    expect(await folders.version('previous', TINY_POLYP_ID)).toBe('1.0.0');
    expect(existsSync(folders.dirOf('staging', TINY_POLYP_ID))).toBe(false);
  }, 30_000);

  it('refuses a download whose SHA-256 differs, naming the file, and leaves the running version alone', async () => {
    const other = install('2.1.0', new TextEncoder().encode('not the file the manifest describes'), sha(v2));
    await expect(run(command(other))).rejects.toThrow(
      /^file model\.onnx: SHA-256 [0-9a-f]{64}, the command says/,
    );
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('2.0.0');
    expect(existsSync(folders.dirOf('staging', TINY_POLYP_ID))).toBe(false);
    expect(reloads).toBe(1);
  }, 30_000);

  it('rolls back by itself when the new version does not load, and says why', async () => {
    // Weights that are not an ONNX model, with their true SHA-256: the download is fine, the load is not.
    const broken = install('3.0.0', new TextEncoder().encode('these are not weights'.repeat(50)));
    await expect(run(command(broken))).rejects.toThrow(
      /the model does not load: .*; rolled back to 2\.0\.0$/,
    );
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('2.0.0');
    // The broken version is not kept: a later rollback could only put it back.
    expect(await folders.version('previous', TINY_POLYP_ID)).toBe(null);
    expect(reloads).toBe(1); // the running analyzers never saw it
  }, 30_000);

  it('defers the switch while a procedure runs and switches when it ends', async () => {
    expect(decideCommand(command(install('4.0.0', v2)), new Date(), true)).toEqual({
      action: 'defer',
      reason: 'procedure in progress: done when it ends',
    });
    procedure = true;
    const c = command(install('4.0.0', v2));
    const done = run(c);
    for (let i = 0; i < 200 && (await folders.version('staging', TINY_POLYP_ID)) !== '4.0.0'; i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    // Downloaded and staged, not switched, and not begun.
    expect(await folders.version('staging', TINY_POLYP_ID)).toBe('4.0.0');
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('2.0.0');
    expect(begun).not.toContain(c.id);
    procedure = false;
    const detail = await done;
    expect(begun).toContain(c.id);
    expect(detail).toMatchObject({ version: '4.0.0', previous: '2.0.0' });
    expect(detail.deferredMs).toBeGreaterThanOrEqual(250);
    expect(reloads).toBe(2);
  }, 30_000);

  it('takes up a staged install again after a restart with no download (its URLs gone), if whole', async () => {
    /** A box that stages `c`, waits for a procedure to end, and stops while it waits. */
    const stageThenStop = async (c: DeviceCommand) => {
      let stopped = false;
      const first = installModelRunner({
        folders: new ModelFolders(modelsDir),
        procedureRunning: () => {
          if (stopped) throw new Error('the box stopped');
          return true;
        },
        reloadAnalyzers: async () => {},
        log,
        pollMs: 20,
      });
      const waiting = first(c, { begin: async () => {} }).catch((err: Error) => err.message);
      for (let i = 0; i < 200 && (await folders.version('staging', TINY_POLYP_ID)) !== c.model?.version; i++)
        await new Promise((r) => setTimeout(r, 20));
      stopped = true;
      expect(await waiting).toBe('the box stopped');
      expect(await folders.version('staging', TINY_POLYP_ID)).toBe(c.model?.version);
    };
    const restarted = installModelRunner({
      folders: new ModelFolders(modelsDir),
      procedureRunning: () => false,
      reloadAnalyzers: async () => {},
      log,
    });
    const c5 = command(install('5.0.0', v2));
    await stageThenStop(c5);
    files.delete('/5.0.0/model.onnx'); // its presigned URL has expired: 404
    expect(await restarted(c5, { begin: async () => {} })).toMatchObject({
      version: '5.0.0',
      previous: '4.0.0',
    });
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('5.0.0');

    // A staged copy that is not whole is downloaded again: with its URL gone, the install fails.
    const c6 = command(install('6.0.0', v2));
    await stageThenStop(c6);
    files.delete('/6.0.0/model.onnx');
    const staged = join(folders.dirOf('staging', TINY_POLYP_ID), TINY_POLYP_ID, 'model.onnx');
    writeFileSync(staged, readFileSync(staged).subarray(0, 100));
    await expect(restarted(c6, { begin: async () => {} })).rejects.toThrow(
      'file model.onnx: download answered 404',
    );
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('5.0.0');
  }, 30_000);

  it('rolls back to the kept version with no network', async () => {
    server.close();
    files.clear();
    const detail = await run(
      command({
        action: 'rollback',
        modelId: TINY_POLYP_ID,
        version: '5.0.0',
        files: [],
        maxLatencyMs: 10_000,
      }),
    );
    expect(detail).toMatchObject({ action: 'rollback', version: '4.0.0', previous: '5.0.0' });
    expect(await folders.version('current', TINY_POLYP_ID)).toBe('4.0.0');
    expect(await folders.version('previous', TINY_POLYP_ID)).toBe('5.0.0');
    await expect(
      run(
        command({ action: 'rollback', modelId: 'no-such-model', version: '1', files: [], maxLatencyMs: 10 }),
      ),
    ).rejects.toThrow('no previous version of no-such-model is kept on this box');
  }, 30_000);
});
