import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ModelManifest, modelManifestSchema } from '@gic/shared/analysis/model-manifest.js';
import type { ModelInstall } from '@gic/shared/messages/model-install.js';

/** A staged manifest as written beside its files, and as a staged copy is compared with a command's. */
const manifestText = (manifest: ModelManifest) => JSON.stringify(manifest, null, 2);

/** A switch begun and not yet finished, as written in `.switching/{id}.json` before its first rename. */
type Switching = { op: 'switch-in' } | { op: 'restore'; discard: boolean; moved: boolean };

/** What `recover` did for one model left half-switched by a crash. */
export interface RecoveredSwitch {
  modelId: string;
  /** A switch-in not yet confirmed healthy is undone; a restore (of a version that ran) is finished. */
  outcome: 'switch-in undone' | 'restore finished';
  /** The version running now (null: none). */
  version: string | null;
}

/**
 * A model's folders on the box. The running version is where the analyzer reads it
 * (`{modelsDir}/{id}.json` and `{modelsDir}/{id}/`); a version being installed is downloaded into
 * `.staging/{id}/` (a models folder of its own, with the same layout); the version it replaced is
 * kept in `.previous/{id}/`, so a rollback needs no network. Every move is a rename in one file system.
 * A switch takes several renames; it is written down in `.switching/{id}.json` first, and a switch a
 * crash cut short is ended by `recover` at the next start, before the analyzers read the folder.
 */
export class ModelFolders {
  constructor(
    readonly modelsDir: string,
    private readonly fetchFn: typeof fetch = fetch,
    /** Every rename of a switch goes through here (a test cuts the switch short at each one). */
    private readonly renameFn: typeof rename = rename,
  ) {}

  /** The models folder holding `id` in `slot` (the running one: modelsDir itself). */
  dirOf(slot: 'current' | 'staging' | 'previous', id: string): string {
    return slot === 'current' ? this.modelsDir : join(this.modelsDir, `.${slot}`, id);
  }

  /** The version of `id` in `slot`, or null when there is none (or its manifest is unreadable). */
  async version(slot: 'current' | 'staging' | 'previous', id: string): Promise<string | null> {
    try {
      const raw = JSON.parse(await readFile(join(this.dirOf(slot, id), `${id}.json`), 'utf8'));
      return typeof raw.version === 'string' ? raw.version : null;
    } catch {
      return null;
    }
  }

  /**
   * Downloads every file of `install` into the staging folder, checking each SHA-256 as it streams,
   * and writes the manifest beside them. Throws with the file named when one differs; nothing staged
   * is left then. A copy already staged whole for the same manifest (an install taken up again after
   * a restart, whose URLs may have expired) is kept, every file's SHA-256 read again, not downloaded.
   */
  async stage(install: ModelInstall): Promise<ModelManifest> {
    const parsed = modelManifestSchema.safeParse(install.manifest);
    if (!parsed.success)
      throw new Error(
        `invalid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const manifest = parsed.data;
    if (manifest.id !== install.modelId || manifest.version !== install.version)
      throw new Error(
        `the manifest is ${manifest.id} ${manifest.version}, not ${install.modelId} ${install.version}`,
      );
    for (const f of manifest.files) {
      const given = install.files.find((g) => g.name === f.name);
      if (given?.sha256 !== f.sha256)
        throw new Error(`file ${f.name}: no download with the manifest's SHA-256`);
    }
    const root = this.dirOf('staging', install.modelId);
    if (await this.stagedWhole(root, manifest)) return manifest;
    await rm(root, { recursive: true, force: true });
    await mkdir(join(root, manifest.id), { recursive: true });
    try {
      for (const f of install.files) await this.download(f, join(root, manifest.id, f.name));
      await writeFile(join(root, `${manifest.id}.json`), manifestText(manifest));
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
    return manifest;
  }

  /** True when `root` holds `manifest` (the same text) and each of its files with its SHA-256. */
  private async stagedWhole(root: string, manifest: ModelManifest): Promise<boolean> {
    try {
      if ((await readFile(join(root, `${manifest.id}.json`), 'utf8')) !== manifestText(manifest))
        return false;
      for (const f of manifest.files) {
        const hash = createHash('sha256');
        await pipeline(createReadStream(join(root, manifest.id, f.name)), hash);
        if (hash.digest('hex') !== f.sha256) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  private async download(file: ModelInstall['files'][number], path: string): Promise<void> {
    const res = await this.fetchFn(file.url, { signal: AbortSignal.timeout(10 * 60_000) });
    if (!res.ok || !res.body) throw new Error(`file ${file.name}: download answered ${res.status}`);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(path));
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256)
      throw new Error(`file ${file.name}: SHA-256 ${sha256}, the command says ${file.sha256}`);
  }

  /**
   * Puts the staged version of `id` in place; the running one (if any) becomes the previous one,
   * replacing what was kept before. Returns the version replaced (null: none ran). The switch stays
   * written down until `confirmSwitch` (once the new version passed its health check and loaded):
   * a box restarted before then goes back to the version it ran (`recover`).
   */
  async switchIn(id: string): Promise<string | null> {
    const staging = this.dirOf('staging', id);
    if (!existsSync(join(staging, `${id}.json`))) throw new Error(`nothing staged for ${id}`);
    const replaced = await this.version('current', id);
    const previous = this.dirOf('previous', id);
    await this.throwAway(previous);
    await mkdir(previous, { recursive: true });
    await this.begin(id, { op: 'switch-in' });
    for (const entry of [`${id}.json`, id]) await this.shift(entry, staging, this.modelsDir, previous);
    await rm(staging, { recursive: true, force: true });
    return replaced;
  }

  /** The switched-in version of `id` passed its check and runs: a restart keeps it. */
  async confirmSwitch(id: string): Promise<void> {
    await this.end(id);
  }

  /**
   * Undoes a switch-in of `id` from wherever it stands (whole, or cut short by a crash): the version
   * that ran before runs again (none, if none ran), the switched-in one goes back to staging, or is
   * thrown away with `discard`. Returns the version running now. Each entry (manifest, file folder) of
   * the new version is in staging until it is moved in, so one missing from staging is the new one in
   * place; each of the old version is in the previous folder once moved out. Running it again after a
   * cut is safe.
   */
  async undoSwitchIn(id: string, { discard = false } = {}): Promise<string | null> {
    const staging = this.dirOf('staging', id);
    const previous = this.dirOf('previous', id);
    await mkdir(staging, { recursive: true });
    for (const entry of [id, `${id}.json`]) {
      if (!existsSync(join(staging, entry)) && existsSync(join(this.modelsDir, entry)))
        await this.renameFn(join(this.modelsDir, entry), join(staging, entry));
    }
    for (const entry of [id, `${id}.json`]) {
      if (existsSync(join(previous, entry)))
        await this.renameFn(join(previous, entry), join(this.modelsDir, entry));
    }
    await rm(previous, { recursive: true, force: true });
    if (discard) await this.throwAway(staging);
    await this.end(id);
    return this.version('current', id);
  }

  /**
   * Puts the kept previous version of `id` back in place (no network); the one it replaces is kept
   * as the previous in its turn, unless `discard` (a version that failed its health check is not
   * worth keeping). Returns the version now running. Throws when none was kept.
   */
  async restorePrevious(id: string, { discard = false } = {}): Promise<string> {
    const version = await this.version('previous', id);
    if (!version) throw new Error(`no previous version of ${id} is kept on this box`);
    const swap = join(this.modelsDir, '.swap', id);
    await this.throwAway(swap);
    await mkdir(swap, { recursive: true });
    await this.begin(id, { op: 'restore', discard, moved: false });
    await this.finishRestore(id, discard, false);
    return version;
  }

  /**
   * The renames of a restore, from wherever a crash left them (each entry shifted as in `switchIn`,
   * the kept version coming in and the running one going to `.swap`); once both are in place the
   * journal says so, since the replaced version then takes the previous folder's name in its turn.
   */
  private async finishRestore(id: string, discard: boolean, moved: boolean): Promise<void> {
    const previous = this.dirOf('previous', id);
    const swap = join(this.modelsDir, '.swap', id);
    if (!moved) {
      await mkdir(swap, { recursive: true });
      for (const entry of [`${id}.json`, id]) await this.shift(entry, previous, this.modelsDir, swap);
      await rm(previous, { recursive: true, force: true });
      await this.begin(id, { op: 'restore', discard, moved: true });
    }
    if (discard) await rm(swap, { recursive: true, force: true });
    else if (existsSync(swap)) await this.renameFn(swap, previous);
    await this.end(id);
  }

  /**
   * Puts `entry` of `incoming` in place in `live`, the live one (if any) moving to `outgoing`. Done
   * already (nothing incoming): nothing happens, so a shift cut short can be run again.
   */
  private async shift(entry: string, incoming: string, live: string, outgoing: string): Promise<void> {
    if (!existsSync(join(incoming, entry))) return;
    if (existsSync(join(live, entry))) {
      await rm(join(outgoing, entry), { recursive: true, force: true });
      await this.renameFn(join(live, entry), join(outgoing, entry));
    }
    await this.renameFn(join(incoming, entry), join(live, entry));
  }

  /** Removes a folder so that it is either whole or gone: renamed aside first, then deleted. */
  private async throwAway(dir: string): Promise<void> {
    if (!existsSync(dir)) return;
    const aside = join(
      this.modelsDir,
      '.trash',
      `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}`,
    );
    await mkdir(join(this.modelsDir, '.trash'), { recursive: true });
    await this.renameFn(dir, aside);
    await rm(aside, { recursive: true, force: true });
  }

  private journal(id: string): string {
    return join(this.modelsDir, '.switching', `${id}.json`);
  }

  /** Writes down a switch before its first rename, synced to disk, so a crash cannot lose it. */
  private async begin(id: string, switching: Switching): Promise<void> {
    await mkdir(join(this.modelsDir, '.switching'), { recursive: true });
    const path = this.journal(id);
    const file = await open(`${path}.tmp`, 'w');
    try {
      await file.writeFile(JSON.stringify(switching));
      await file.sync();
    } finally {
      await file.close();
    }
    await this.renameFn(`${path}.tmp`, path);
  }

  private async end(id: string): Promise<void> {
    await rm(this.journal(id), { force: true });
  }

  /**
   * Ends every switch a crash cut short (run at start, before the analyzers read the folder): a
   * switch-in not confirmed is undone (the version that ran before runs, the new one staged again), a
   * restore is finished (the kept version runs). Returns what it did.
   */
  async recover(): Promise<RecoveredSwitch[]> {
    await rm(join(this.modelsDir, '.trash'), { recursive: true, force: true });
    const dir = join(this.modelsDir, '.switching');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    // A journal cut short while it was written: no rename had begun.
    for (const n of names.filter((n) => n.endsWith('.tmp'))) await rm(join(dir, n), { force: true });
    names = names.filter((n) => n.endsWith('.json'));
    const done: RecoveredSwitch[] = [];
    for (const name of names) {
      const id = name.slice(0, -'.json'.length);
      let switching: Switching;
      try {
        switching = JSON.parse(await readFile(join(dir, name), 'utf8'));
        if (switching.op !== 'switch-in' && switching.op !== 'restore') throw new Error('unknown');
      } catch {
        throw new Error(
          `${join(dir, name)} is not a switch this box wrote: move it away to start (the ${id} model may be half switched)`,
        );
      }
      if (switching.op === 'restore') {
        await this.finishRestore(id, switching.discard === true, switching.moved === true);
        done.push({ modelId: id, outcome: 'restore finished', version: await this.version('current', id) });
      } else {
        // The staged copy is kept, so the install sent again needs no download.
        const version = await this.undoSwitchIn(id);
        done.push({ modelId: id, outcome: 'switch-in undone', version });
      }
    }
    return done;
  }
}
