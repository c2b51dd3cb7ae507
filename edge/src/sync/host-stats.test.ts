import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostStatsSchema } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { HostStatsSampler, parseNvidiaSmi, parseProcStat } from './host-stats.js';

describe('the machine in telemetry', () => {
  it('reads CPU time from /proc/stat, idle and iowait as idle', () => {
    expect(parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n')).toEqual({
      busy: 150,
      total: 1000,
    });
    expect(parseProcStat('nothing here')).toBeUndefined();
  });

  it('reads each GPU from nvidia-smi, a field it cannot read as null', () => {
    expect(parseNvidiaSmi('NVIDIA L4, 37, 1024, 23034, 51\nNVIDIA L4, [N/A], [N/A], 23034, [N/A]\n')).toEqual(
      [
        {
          name: 'NVIDIA L4',
          utilPercent: 37,
          memoryUsedBytes: 1024 * 1024 * 1024,
          memoryTotalBytes: 23034 * 1024 * 1024,
          temperatureC: 51,
        },
        {
          name: 'NVIDIA L4',
          utilPercent: null,
          memoryUsedBytes: null,
          memoryTotalBytes: 23034 * 1024 * 1024,
          temperatureC: null,
        },
      ],
    );
  });

  it('samples this machine: CPU between two samples, memory, and no GPU where nvidia-smi is not installed', async () => {
    const sampler = new HostStatsSampler({ nvidiaSmi: '/nonexistent/nvidia-smi' });
    const first = await sampler.sample();
    expect(first.cpuPercent).toBeNull();
    const until = Date.now() + 200;
    while (Date.now() < until); // keep a core busy between the samples
    const second = await sampler.sample();
    expect(hostStatsSchema.parse(second)).toEqual(second);
    expect(second.cpuPercent).toBeGreaterThan(0);
    expect(second.cpuPercent).toBeLessThanOrEqual(100);
    expect(second.memoryUsedBytes).toBeGreaterThan(0);
    expect(second.memoryTotalBytes).toBeGreaterThan(second.memoryUsedBytes);
    expect(second.gpus).toBeNull();
  });

  it('takes the hottest thermal zone, and the GPUs from a working nvidia-smi', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-host-'));
    const thermal = join(dir, 'thermal');
    for (const [zone, milli] of [
      ['thermal_zone0', '45000'],
      ['thermal_zone1', '61500'],
      ['thermal_zone2', 'garbage'],
      ['cooling_device0', '99000'],
    ] as const) {
      mkdirSync(join(thermal, zone), { recursive: true });
      writeFileSync(join(thermal, zone, 'temp'), `${milli}\n`);
    }
    const smi = join(dir, 'nvidia-smi');
    writeFileSync(smi, '#!/bin/sh\necho "NVIDIA A2, 12, 2048, 15356, 48"\n');
    chmodSync(smi, 0o755);
    const stats = await new HostStatsSampler({ thermalDir: thermal, nvidiaSmi: smi }).sample();
    expect(stats.temperatureC).toBe(61.5);
    expect(stats.gpus).toEqual([
      {
        name: 'NVIDIA A2',
        utilPercent: 12,
        memoryUsedBytes: 2048 * 1024 * 1024,
        memoryTotalBytes: 15356 * 1024 * 1024,
        temperatureC: 48,
      },
    ]);
    // A failing tool gives no GPU figures this time, and is asked again next time.
    writeFileSync(smi, '#!/bin/sh\nexit 9\n');
    const sampler = new HostStatsSampler({ thermalDir: join(dir, 'none'), nvidiaSmi: smi });
    expect((await sampler.sample()).gpus).toBeNull();
    writeFileSync(smi, '#!/bin/sh\necho "NVIDIA A2, 5, 1, 2, 3"\n');
    expect((await sampler.sample()).gpus?.[0]?.utilPercent).toBe(5);
    expect((await sampler.sample()).temperatureC).toBeNull();
  });
});
