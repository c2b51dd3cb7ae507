import { execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { HostStats } from '@gic/shared/messages/events.js';

type GpuStats = NonNullable<HostStats['gpus']>[number];

/** Busy and total CPU time of all cores (jiffies), from the first line of /proc/stat. */
export function parseProcStat(text: string): { busy: number; total: number } | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  if (n.length < 4 || n.some((v) => !Number.isFinite(v))) return undefined;
  const idle = n[3]! + (n[4] ?? 0); // idle + iowait
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is counted in user already
  return { busy: total - idle, total };
}

const MIB = 1024 * 1024;

/**
 * `nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu
 * --format=csv,noheader,nounits`: one GPU a line; a field it cannot read ("[N/A]") is null.
 */
export function parseNvidiaSmi(text: string): GpuStats[] {
  const num = (v: string | undefined) => {
    const x = Number(v?.trim());
    return v !== undefined && v.trim() !== '' && Number.isFinite(x) ? x : null;
  };
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 16)
    .map((line) => {
      const [name, util, used, total, temp] = line.split(',');
      const mib = (v: string | undefined) => {
        const x = num(v);
        return x === null ? null : x * MIB;
      };
      const clamp = (x: number | null, lo: number, hi: number) => (x === null || x < lo || x > hi ? null : x);
      return {
        name: (name ?? '').trim().slice(0, 100) || 'GPU',
        utilPercent: clamp(num(util), 0, 100),
        memoryUsedBytes: mib(used),
        memoryTotalBytes: mib(total),
        temperatureC: clamp(num(temp), -50, 200),
      };
    });
}

/**
 * One line of Jetson's `tegrastats` (JetPack 4 to 6), e.g. `RAM 2448/3964MB (lfb 160x4MB) ... GR3D_FREQ
 * 45%@921 ... GPU@34.5C ...`: the integrated GPU's load, the memory it shares with the CPU, and its
 * temperature. Undefined when the line is not tegrastats output.
 */
export function parseTegrastats(line: string, name = 'Jetson GPU'): GpuStats | undefined {
  const util = /\bGR3D_FREQ (\d{1,3})%/.exec(line);
  const ram = /\bRAM (\d+)\/(\d+)MB\b/.exec(line);
  if (!util && !ram) return undefined;
  const temp = /\bGPU@(-?\d+(?:\.\d+)?)C\b/.exec(line);
  const pct = util ? Number(util[1]) : null;
  const c = temp ? Number(temp[1]) : null;
  return {
    name: name.slice(0, 100),
    utilPercent: pct !== null && pct >= 0 && pct <= 100 ? pct : null,
    memoryUsedBytes: ram ? Number(ram[1]) * MIB : null,
    memoryTotalBytes: ram ? Number(ram[2]) * MIB : null,
    temperatureC: c !== null && c > -50 && c < 200 ? c : null,
  };
}

/**
 * The first line `tegrastats` prints (it prints one every interval until stopped, so it is stopped
 * after the first): the line, `absent` when there is no such program, or `failed`.
 */
function firstLineOf(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<string | 'absent' | 'failed'> {
  return new Promise((resolve) => {
    let settled = false;
    let out = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const done = (v: string | 'absent' | 'failed') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(() => done('failed'), timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ENOENT' ? 'absent' : 'failed'));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) done(out.slice(0, end));
      else if (out.length > 16 * 1024) done('failed');
    });
    child.on('exit', () => done(out.trim() ? out.trim() : 'failed'));
  });
}

/** Runs a program: its standard output, `absent` when there is no such program, or `failed`. */
function run(command: string, args: string[], timeoutMs: number): Promise<string | 'absent' | 'failed'> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (!err) resolve(stdout);
      else resolve((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'failed');
    });
  });
}

export interface HostStatsOptions {
  /** Where /proc/stat and the thermal zones are read (tests point it elsewhere). */
  procStat?: string;
  thermalDir?: string;
  /** The GPU query (null: none on this machine). */
  nvidiaSmi?: string | null;
  /** Jetson's `tegrastats`, asked where there is no `nvidia-smi` (null: none). */
  tegrastats?: string | null;
  /** The board's name (Jetson: /proc/device-tree/model). */
  modelFile?: string;
}

/**
 * Samples the machine for telemetry: CPU use since the previous sample, memory, the hottest thermal
 * zone and, where `nvidia-smi` runs, each GPU; on a Jetson (no `nvidia-smi`), its integrated GPU from
 * `tegrastats`. Never throws: what cannot be read is null. A GPU tool that is not installed is not
 * looked for again.
 */
export class HostStatsSampler {
  private last?: { busy: number; total: number };
  private nvidiaSmi: string | null;
  private tegrastats: string | null;
  private readonly modelFile: string;
  private readonly procStat: string;
  private readonly thermalDir: string;

  constructor(options: HostStatsOptions = {}) {
    this.procStat = options.procStat ?? '/proc/stat';
    this.thermalDir = options.thermalDir ?? '/sys/class/thermal';
    this.nvidiaSmi = options.nvidiaSmi === undefined ? 'nvidia-smi' : options.nvidiaSmi;
    this.tegrastats = options.tegrastats === undefined ? 'tegrastats' : options.tegrastats;
    this.modelFile = options.modelFile ?? '/proc/device-tree/model';
  }

  async sample(): Promise<HostStats> {
    const [cpuPercent, temperatureC, gpus] = await Promise.all([this.cpu(), this.temperature(), this.gpus()]);
    return {
      cpuPercent,
      loadAvg1: Math.max(0, loadavg()[0] ?? 0),
      cpus: Math.max(1, cpus().length),
      memoryUsedBytes: Math.max(0, totalmem() - freemem()),
      memoryTotalBytes: totalmem(),
      processRssBytes: process.memoryUsage().rss,
      temperatureC,
      gpus,
    };
  }

  private async cpu(): Promise<number | null> {
    const now = parseProcStat(await readFile(this.procStat, 'utf8').catch(() => ''));
    const last = this.last;
    this.last = now;
    if (!now || !last || now.total <= last.total) return null;
    const share = (now.busy - last.busy) / (now.total - last.total);
    return Math.round(Math.min(1, Math.max(0, share)) * 1000) / 10;
  }

  private async temperature(): Promise<number | null> {
    const zones = await readdir(this.thermalDir).catch(() => [] as string[]);
    let hottest: number | null = null;
    for (const zone of zones.filter((z) => z.startsWith('thermal_zone'))) {
      const milli = Number(
        (await readFile(join(this.thermalDir, zone, 'temp'), 'utf8').catch(() => '')).trim(),
      );
      const c = milli / 1000;
      if (Number.isFinite(c) && milli !== 0 && c > -50 && c < 200) hottest = Math.max(hottest ?? c, c);
    }
    return hottest;
  }

  private async gpus(): Promise<GpuStats[] | null> {
    if (!this.nvidiaSmi) return this.jetsonGpu();
    const out = await run(
      this.nvidiaSmi,
      [
        '--query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu',
        '--format=csv,noheader,nounits',
      ],
      5000,
    );
    if (out === 'absent') {
      // A box without the NVIDIA driver's tool is not asked again.
      this.nvidiaSmi = null;
      return this.jetsonGpu();
    }
    if (out === 'failed') return null;
    const gpus = parseNvidiaSmi(out);
    return gpus.length ? gpus : null;
  }

  private async jetsonGpu(): Promise<GpuStats[] | null> {
    if (!this.tegrastats) return null;
    const line = await firstLineOf(this.tegrastats, ['--interval', '100'], 3000);
    if (line === 'absent') {
      this.tegrastats = null;
      return null;
    }
    if (line === 'failed') return null;
    // The device tree's model ends with a NUL byte.
    const board = (await readFile(this.modelFile, 'utf8').catch(() => '')).replace(/\0/g, '').trim();
    const gpu = parseTegrastats(line, board ? `${board} GPU` : undefined);
    return gpu ? [gpu] : null;
  }
}
