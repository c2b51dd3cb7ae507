#!/usr/bin/env node
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { describeError } from '@gic/shared/process/start-error.js';
import { loadHubConfig } from '../config.js';
import { mib, readManifest } from './backup-manifest.js';
import { backupHub, pruneBackups, prunePartials } from './hub-backup.js';
import { RESTORE_MARKER, restoreHub } from './hub-restore.js';
import { openHubStorage } from './hub-storage.js';

const USAGE = `usage:
  npm run backup -- <folder> [--keep-days N]   back up the hub into a new gic-backup-<time> folder in <folder>
                                               (or GIC_BACKUP_DIR); --keep-days removes older backups there
  npm run restore -- <backup folder>           restore one backup (the hub must be stopped)
Both read the hub's configuration (DATABASE_URL, S3_*, GIC_HUB_DATA_DIR, ...) as the hub does.`;

class UsageError extends Error {}

/** The marker of a restore under way in the hub's data folder, once the configuration is read. */
let restoreMarker: string | undefined;

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'backup' && command !== 'restore')
    throw new UsageError(`unknown command ${command ?? '(none)'}`);
  let folder: string | undefined;
  let keepDays: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--keep-days' && command === 'backup') {
      const v = rest[++i];
      keepDays = Number(v);
      if (!v || !Number.isInteger(keepDays) || keepDays < 1)
        throw new UsageError(`--keep-days needs a whole number of days, at least 1 (got ${v ?? 'nothing'})`);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (folder === undefined) folder = a;
    else throw new UsageError(`one folder only (got ${folder} and ${a})`);
  }
  folder ??= command === 'backup' ? process.env.GIC_BACKUP_DIR : undefined;
  if (!folder)
    throw new UsageError(
      command === 'backup' ? 'name the folder to back up into' : 'name the backup folder to restore',
    );
  return { command, folder: resolve(folder), keepDays };
}

async function main(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`gic-backup: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  let config: ReturnType<typeof loadHubConfig>;
  try {
    config = loadHubConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gic-backup: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // The embedded servers' log lines go to stderr, at warn and above only.
  const log = createLogger('gic-backup', 'warn', { write: (line: string) => process.stderr.write(line) });
  const t0 = Date.now();
  if (args.command === 'restore') {
    restoreMarker = join(config.dataDir, RESTORE_MARKER);
    // Checked before anything is started: a typo fails in a second.
    readManifest(args.folder);
  }
  const storage = await openHubStorage(config, log, args.command === 'backup');
  try {
    say(`using ${storage.where}`);
    if (args.command === 'backup') {
      const { dir, manifest } = await backupHub({
        databaseUrl: storage.databaseUrl,
        store: storage.store,
        targetDir: args.folder,
        progress: say,
      });
      const bytes = manifest.database.bytes + manifest.objects.reduce((s, o) => s + o.bytes, 0);
      say(
        `backup done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir} (${mib(bytes)}; ${JSON.stringify(manifest.counts)})`,
      );
      if (args.keepDays) {
        const removed = [
          ...pruneBackups(args.folder, args.keepDays),
          ...prunePartials(args.folder, readdirSync(args.folder)),
        ];
        say(
          removed.length
            ? `removed ${removed.length} older than ${args.keepDays} days: ${removed.join(', ')}`
            : `none older than ${args.keepDays} days`,
        );
      }
    } else {
      if (storage.hubRunning)
        throw new Error(
          `the hub is running (${storage.where}${config.database.url ? ': other sessions are connected to the database' : ''}); stop it, then restore`,
        );
      const { counts, seconds } = await restoreHub({
        backupDir: args.folder,
        databaseUrl: storage.databaseUrl,
        store: storage.store,
        dataDir: config.dataDir,
        progress: say,
      });
      say(
        `restore done in ${((Date.now() - t0) / 1000).toFixed(1)} s (check ${seconds.verify.toFixed(1)} s, database ${seconds.database.toFixed(1)} s, objects ${seconds.objects.toFixed(1)} s): ${JSON.stringify(counts)}, as the manifest says; start the hub`,
      );
    }
  } finally {
    await storage.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const interrupted =
      restoreMarker && existsSync(restoreMarker)
        ? '\nthe restore had begun: run it again (the hub will not start until one has finished)'
        : '';
    process.stderr.write(
      `gic-backup: ${process.argv[2] ?? ''} failed: ${describeError(err)}${interrupted}\n`,
    );
    process.exit(1);
  },
);
