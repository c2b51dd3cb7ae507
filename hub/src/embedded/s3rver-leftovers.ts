import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The name of a file this server writes beside `path` (an object, or a part's link) and renames into
 * place or removes when done: `<path>.<uuid>.partial`. One still there when the server starts was left
 * by a process that died mid-write (TEMPORARY_FILE); it is never an object or a part.
 */
export const temporaryBeside = (path: string) => `${path}.${randomUUID()}.partial`;

/** The names temporaryBeside() gives. */
export const TEMPORARY_FILE = /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;

export interface LeftoversRemoved {
  files: number;
  bytes: number;
}

/**
 * How long a temporary file must have gone unchanged (its inode's ctime: every write and every link
 * changes it) to count as left by a crash: a write under way, even one of another server that
 * shares the folder by mistake (a backup CLI started while the hub's server did not answer), keeps
 * changing its file.
 */
export const LEFTOVER_AGE_MS = 10 * 60_000;

/**
 * Removes the temporary files a server that died mid-write left under `dir` (a PUT or a copy cut
 * short: up to a whole video each, which nothing else would ever delete), those unchanged for
 * `olderThanMs`. Called before the server listens; anything else is left alone.
 */
export async function removeLeftoverTemporaries(
  dir: string,
  olderThanMs = LEFTOVER_AGE_MS,
): Promise<LeftoversRemoved> {
  const removed: LeftoversRemoved = { files: 0, bytes: 0 };
  const before = Date.now() - olderThanMs;
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && TEMPORARY_FILE.test(entry.name)) {
        const info = await stat(path).catch(() => undefined);
        if (!info || info.ctimeMs > before) continue;
        await rm(path, { force: true });
        removed.files++;
        removed.bytes += info.size;
      }
    }
  };
  await walk(dir);
  return removed;
}
