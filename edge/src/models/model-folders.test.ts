import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelInstall } from '@gic/shared/messages/model-install.js';
import { TINY_POLYP_ID, tinyPolypManifest } from '@gic/shared/testing/tiny-polyp-model.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFolders } from './model-folders.js';

const id = TINY_POLYP_ID;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
/** A version's model file: its bytes say which version it is. */
const bytesOf = (version: string) => Buffer.from(`model file of ${version} `.repeat(64));
const manifestOf = (version: string) => ({ ...tinyPolypManifest(sha(bytesOf(version)), 64, 48), version });

const root = mkdtempSync(join(tmpdir(), 'gic-model-folders-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The files an install of `version` downloads, served by a stand-in fetch (no network here). */
const fetchVersion: typeof fetch = async (url) =>
  new Response(bytesOf(String(url).slice('http://hub/'.length)));
const installOf = (version: string): ModelInstall => ({
  action: 'install',
  modelId: id,
  version,
  manifest: manifestOf(version),
  files: [{ name: 'model.onnx', url: `http://hub/${version}`, sha256: sha(bytesOf(version)) }],
  maxLatencyMs: 10_000,
});

/** Writes `version` whole into a models folder (the running one, or a slot's). */
function writeVersion(dir: string, version: string): void {
  mkdirSync(join(dir, id), { recursive: true });
  writeFileSync(join(dir, id, 'model.onnx'), bytesOf(version));
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(manifestOf(version)));
}

/** The version `slot` holds whole (manifest and every file with its SHA-256), 'broken' or null. */
function wholeVersion(folders: ModelFolders, slot: 'current' | 'staging' | 'previous'): string | null {
  const dir = folders.dirOf(slot, id);
  const manifestPath = join(dir, `${id}.json`);
  if (!existsSync(manifestPath)) return existsSync(join(dir, id, 'model.onnx')) ? 'broken' : null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const f of manifest.files) {
    const path = join(dir, id, f.name);
    if (!existsSync(path) || sha(readFileSync(path)) !== f.sha256) return 'broken';
  }
  return manifest.version;
}

/** A rename that fails as a power cut would at its `cutAt`-th call (1-based): nothing after it runs. */
function cutRename(cutAt: number) {
  let calls = 0;
  const fn = (async (from, to) => {
    calls++;
    if (calls === cutAt) throw new Error('power cut');
    return rename(from, to);
  }) as typeof rename;
  return { fn, calls: () => calls };
}

let n = 0;
/** A fresh models folder: 1.0.0 running, 2.0.0 staged (downloaded through `stage`). */
async function runningWithStaged(): Promise<string> {
  const dir = join(root, `m${++n}`);
  writeVersion(dir, '1.0.0');
  await new ModelFolders(dir, fetchVersion).stage(installOf('2.0.0'));
  return dir;
}

describe('a model switch cut short by a crash is ended at the next start', () => {
  it('switch-in: cut at each of its renames, or after them before it was confirmed, the box starts with the version it ran and the new one staged', async () => {
    const outcomes: string[] = [];
    let withoutRecovery = 0;
    for (let cutAt = 1; ; cutAt++) {
      const dir = await runningWithStaged();
      const cut = cutRename(cutAt);
      const whole = await new ModelFolders(dir, fetchVersion, cut.fn).switchIn(id).then(
        () => true,
        (err: Error) => {
          expect(err.message).toBe('power cut');
          return false;
        },
      );
      const restarted = new ModelFolders(dir, fetchVersion);
      const before = wholeVersion(restarted, 'current');
      if (before !== '1.0.0' && before !== '2.0.0') withoutRecovery++;
      const recovered = await restarted.recover();
      outcomes.push(`${whole ? 'switched' : cutAt}:${before}->${wholeVersion(restarted, 'current')}`);
      expect(wholeVersion(restarted, 'current'), `cut at rename ${cutAt}`).toBe('1.0.0');
      expect(wholeVersion(restarted, 'staging')).toBe('2.0.0');
      expect(existsSync(join(dir, '.switching', `${id}.json`))).toBe(false);
      expect(await restarted.recover()).toEqual([]);
      // Cut before the switch was written down, nothing had moved: nothing to undo.
      expect(recovered).toEqual(
        cutAt === 1 ? [] : [{ modelId: id, outcome: 'switch-in undone', version: '1.0.0' }],
      );
      // The install sent again switches from the staged copy.
      expect(await restarted.switchIn(id)).toBe('1.0.0');
      await restarted.confirmSwitch(id);
      expect(await restarted.recover()).toEqual([]);
      expect(wholeVersion(restarted, 'current')).toBe('2.0.0');
      expect(wholeVersion(restarted, 'previous')).toBe('1.0.0');
      if (whole) break;
    }
    console.log(`switch-in cut at each rename (before->after recovery): ${outcomes.join(' ')}`);
    expect(outcomes.length).toBeGreaterThan(4);
    // Without the recovery some cuts leave no whole running version at all: the check above can fail.
    expect(withoutRecovery).toBeGreaterThan(0);
  });

  it('an undo cut short is run again at the next start; a first install (nothing ran before) is undone to nothing', async () => {
    for (let cutAt = 1; ; cutAt++) {
      const dir = await runningWithStaged();
      await new ModelFolders(dir, fetchVersion).switchIn(id);
      const cut = cutRename(cutAt);
      const whole = await new ModelFolders(dir, fetchVersion, cut.fn).undoSwitchIn(id).then(
        () => true,
        () => false,
      );
      const restarted = new ModelFolders(dir, fetchVersion);
      await restarted.recover();
      expect(wholeVersion(restarted, 'current'), `undo cut at rename ${cutAt}`).toBe('1.0.0');
      expect(wholeVersion(restarted, 'staging')).toBe('2.0.0');
      if (whole) break;
    }
    const dir = join(root, `m${++n}`);
    const first = new ModelFolders(dir, fetchVersion);
    await first.stage(installOf('1.0.0'));
    expect(await first.switchIn(id)).toBeNull();
    expect(wholeVersion(first, 'current')).toBe('1.0.0');
    expect(await new ModelFolders(dir).recover()).toEqual([
      { modelId: id, outcome: 'switch-in undone', version: null },
    ]);
    expect(wholeVersion(first, 'current')).toBeNull();
    expect(wholeVersion(first, 'staging')).toBe('1.0.0');
  });

  for (const discard of [false, true]) {
    it(`restore of the kept version${discard ? ', the failed one discarded' : ''}: cut at each rename, ends whole`, async () => {
      const outcomes: string[] = [];
      for (let cutAt = 1; ; cutAt++) {
        const dir = await runningWithStaged();
        const installed = new ModelFolders(dir, fetchVersion);
        await installed.switchIn(id); // 2.0.0 runs, 1.0.0 kept
        await installed.confirmSwitch(id);
        const cut = cutRename(cutAt);
        const ok = await new ModelFolders(dir, fetchVersion, cut.fn).restorePrevious(id, { discard }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        const restarted = new ModelFolders(dir, fetchVersion);
        const recovered = await restarted.recover();
        const current = wholeVersion(restarted, 'current');
        outcomes.push(`${cutAt}:${current}`);
        expect(current, `cut at rename ${cutAt}`).toMatch(/^[12]\.0\.0$/);
        if (current === '1.0.0') {
          expect(recovered).toEqual([{ modelId: id, outcome: 'restore finished', version: '1.0.0' }]);
          expect(wholeVersion(restarted, 'previous')).toBe(discard ? null : '2.0.0');
        } else {
          expect(recovered).toEqual([]);
          expect(wholeVersion(restarted, 'previous')).toBe('1.0.0');
        }
        expect(existsSync(join(dir, '.switching', `${id}.json`))).toBe(false);
      }
      console.log(`restore (discard ${discard}) cut at each rename: ${outcomes.join(' ')}`);
      expect(outcomes.some((o) => o.endsWith('1.0.0'))).toBe(true);
    });
  }

  it('refuses to start over a journal it did not write, naming the file', async () => {
    const dir = await runningWithStaged();
    mkdirSync(join(dir, '.switching'), { recursive: true });
    writeFileSync(join(dir, '.switching', `${id}.json`), '{"op":"explode"}');
    await expect(new ModelFolders(dir).recover()).rejects.toThrow(
      /\.switching\/.*is not a switch this box wrote/,
    );
  });
});
