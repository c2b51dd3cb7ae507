import { readdirSync, readFileSync } from 'node:fs';

/** What a running process holds, from /proc (Linux): for soak tests and benchmarks. */
export interface ProcStats {
  /** Open file descriptors. */
  fds: number;
  /** Threads. */
  threads: number;
  /** Resident memory (MiB). */
  rssMiB: number;
}

/** Reads /proc/PID: descriptors, threads and resident memory of a running process. */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return {
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: field('Threads'),
    rssMiB: Math.round(field('VmRSS') / 1024),
  };
}
