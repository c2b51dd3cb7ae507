import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ModelManifest, modelManifestSchema } from '@gic/shared/analysis/model-manifest.js';
import type { ModelInstall } from '@gic/shared/messages/model-install.js';

/** A staged manifest as written beside its files, and as a staged copy is compared with a command's. */
const manifestText = (manifest: ModelManifest) => JSON.stringify(manifest, null, 2);

/**
 * A model's folders on the box. The running version is where the analyzer reads it
 * (`{modelsDir}/{id}.json` and `{modelsDir}/{id}/`); a version being installed is downloaded into
 * `.staging/{id}/` (a models folder of its own, with the same layout); the version it replaced is
 * kept in `.previous/{id}/`, so a rollback needs no network. Every move is a rename in one file system.
 */
export class ModelFolders {
  constructor(
    readonly modelsDir: string,
    private readonly fetchFn: typeof fetch = fetch,
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
   * replacing what was kept before. Returns the version replaced (null: none ran).
   */
  async switchIn(id: string): Promise<string | null> {
    const staging = this.dirOf('staging', id);
    if (!existsSync(join(staging, `${id}.json`))) throw new Error(`nothing staged for ${id}`);
    const replaced = await this.version('current', id);
    const previous = this.dirOf('previous', id);
    await rm(previous, { recursive: true, force: true });
    await mkdir(previous, { recursive: true });
    if (existsSync(join(this.modelsDir, `${id}.json`))) await this.move(id, this.modelsDir, previous);
    await this.move(id, staging, this.modelsDir);
    await rm(staging, { recursive: true, force: true });
    return replaced;
  }

  /**
   * Puts the kept previous version of `id` back in place (no network); the one it replaces is kept
   * as the previous in its turn, unless `discard` (a version that failed its health check is not
   * worth keeping). Returns the version now running. Throws when none was kept.
   */
  async restorePrevious(id: string, { discard = false } = {}): Promise<string> {
    const previous = this.dirOf('previous', id);
    const version = await this.version('previous', id);
    if (!version) throw new Error(`no previous version of ${id} is kept on this box`);
    const swap = join(this.modelsDir, '.swap', id);
    await rm(swap, { recursive: true, force: true });
    await mkdir(swap, { recursive: true });
    if (existsSync(join(this.modelsDir, `${id}.json`))) await this.move(id, this.modelsDir, swap);
    await this.move(id, previous, this.modelsDir);
    await rm(previous, { recursive: true, force: true });
    if (discard) await rm(swap, { recursive: true, force: true });
    else await rename(swap, previous);
    return version;
  }

  /** Moves the manifest and the file folder of `id` from one models folder to another. */
  private async move(id: string, from: string, to: string): Promise<void> {
    await rename(join(from, `${id}.json`), join(to, `${id}.json`));
    if (existsSync(join(from, id))) await rename(join(from, id), join(to, id));
  }
}
