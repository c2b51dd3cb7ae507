import { statfs } from 'node:fs/promises';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import { DiskGuard, type DiskLimits } from './disk-guard.js';
import { evictVerifiedRecordings } from './recording-eviction.js';

/** What the screen and the hub are told of the recordings disk. */
export interface DiskReport {
  freeBytes: number;
  recordingsBytes: number;
  /** False while the disk is too full to record. */
  recording: boolean;
  warning?: string;
}

/**
 * Watches the recordings disk: evicts verified local copies beyond `maxRecordingsBytes`, and decides
 * (DiskGuard) when to warn and when recording must stop before the disk is full (SQLite and the
 * outbox still need room). `reported` hears every check, with `changed` true when recording or the
 * warning came or went.
 */
export class DiskWatch {
  private readonly guard: DiskGuard;
  private timer?: NodeJS.Timeout;
  report: DiskReport | null = null;

  constructor(
    private readonly db: EdgeDatabase,
    private readonly recordingsDir: string,
    limits: DiskLimits & { maxRecordingsBytes: number },
    private readonly log: Logger,
    private readonly reported: (report: DiskReport, changed: boolean) => Promise<void> | void,
  ) {
    this.guard = new DiskGuard(limits);
    this.maxRecordingsBytes = limits.maxRecordingsBytes;
  }

  private readonly maxRecordingsBytes: number;

  async check(): Promise<DiskReport> {
    const { usedBytes } = evictVerifiedRecordings(this.db, this.maxRecordingsBytes, this.log);
    const fs = await statfs(this.recordingsDir);
    const state = this.guard.update(fs.bavail * fs.bsize);
    const before = this.report;
    const report: DiskReport = {
      freeBytes: state.freeBytes,
      recordingsBytes: usedBytes,
      recording: state.recording,
      ...(state.warning ? { warning: state.warning } : {}),
    };
    this.report = report;
    const changed =
      before?.recording !== report.recording || Boolean(before?.warning) !== Boolean(report.warning);
    if (changed && report.warning)
      this.log.warn({ freeBytes: report.freeBytes, recording: report.recording }, report.warning);
    else if (changed && before)
      this.log.info({ freeBytes: report.freeBytes }, 'disk space for recordings is fine again');
    await this.reported(report, changed);
    return report;
  }

  /** Checks every `intervalMs`; a failing check is logged and tried again next time. */
  start(intervalMs: number): void {
    this.timer = setInterval(
      () => this.check().catch((err) => this.log.error({ err }, 'disk check failed')),
      intervalMs,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
