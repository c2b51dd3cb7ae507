/** Free-space limits for recordings (bytes). */
export interface DiskLimits {
  /** Below this the screen warns. */
  warnFreeBytes: number;
  /** Below this recording stops (the open segment is closed cleanly); analysis goes on. */
  stopFreeBytes: number;
}

export interface DiskState {
  freeBytes: number;
  /** False while recording is stopped for lack of space. */
  recording: boolean;
  warning?: string;
}

const GB = 1e9;

/** "1.5 GB", or "40 MB" under a gigabyte, where one decimal of GB would read as nothing. */
function amount(bytes: number): string {
  return bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/**
 * Decides from the free space whether the box may record. Recording stops below `stopFreeBytes` and
 * starts again only once twice that is free, so a disk hovering at the limit does not flap the
 * recorder on and off. Nothing already recorded is touched here (eviction only deletes verified
 * copies, see recording-eviction.ts).
 */
export class DiskGuard {
  private recording = true;

  constructor(private readonly limits: DiskLimits) {
    if (!(limits.stopFreeBytes >= 0) || !(limits.warnFreeBytes >= 0))
      throw new RangeError('DiskGuard: limits must be byte counts >= 0');
  }

  update(freeBytes: number): DiskState {
    if (this.recording && freeBytes < this.limits.stopFreeBytes) this.recording = false;
    else if (!this.recording && freeBytes >= 2 * this.limits.stopFreeBytes) this.recording = true;
    const warning = !this.recording
      ? `recording stopped: only ${amount(freeBytes)} free (analysis goes on; recording resumes at ${amount(2 * this.limits.stopFreeBytes)})`
      : freeBytes < this.limits.warnFreeBytes
        ? `only ${amount(freeBytes)} free for recordings`
        : undefined;
    return { freeBytes, recording: this.recording, ...(warning ? { warning } : {}) };
  }
}
