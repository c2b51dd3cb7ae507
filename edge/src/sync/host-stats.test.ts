import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostStatsSchema } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { HostStatsSampler, parseNvidiaSmi, parseProcStat, parseTegrastats } from './host-stats.js';

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

  it("reads a Jetson's integrated GPU from tegrastats (JetPack 4 and 6 lines), and nothing from other text", () => {
    const jp4 =
      'RAM 2448/3964MB (lfb 160x4MB) SWAP 0/1982MB (cached 0MB) CPU [12%@1479,5%@1479,8%@1479,6%@1479] EMC_FREQ 0% GR3D_FREQ 45% PLL@33.5C CPU@36C PMIC@50C GPU@34C AO@41.5C thermal@35C';
    expect(parseTegrastats(jp4)).toEqual({
      name: 'Jetson GPU',
      utilPercent: 45,
      memoryUsedBytes: 2448 * 1024 * 1024,
      memoryTotalBytes: 3964 * 1024 * 1024,
      temperatureC: 34,
    });
    const jp6 =
      '12-03-2026 10:00:00 RAM 3340/30536MB (lfb 6048x4MB) SWAP 0/15268MB (cached 0MB) CPU [1%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 7%@[305,305] CPU@39.25C soc2@37.875C GPU@38.406C tj@40.5C';
    expect(parseTegrastats(jp6, 'NVIDIA Jetson AGX Orin GPU')).toMatchObject({
      name: 'NVIDIA Jetson AGX Orin GPU',
      utilPercent: 7,
      temperatureC: 38.406,
    });
    expect(parseTegrastats('usage: tegrastats [-option]')).toBeUndefined();
  });

  it('asks tegrastats where there is no nvidia-smi, takes its first line and stops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-host-'));
    const tegra = join(dir, 'tegrastats');
    const pidFile = join(dir, 'pid');
    // Like the real tool: a line every interval until it is stopped.
    writeFileSync(
      tegra,
      `#!/bin/sh\necho $$ > ${pidFile}\nwhile true; do echo "RAM 1000/4000MB (lfb 1x4MB) GR3D_FREQ 63% GPU@51.5C"; sleep 0.1; done\n`,
    );
    chmodSync(tegra, 0o755);
    const model = join(dir, 'model');
    writeFileSync(model, 'NVIDIA Jetson Orin Nano Developer Kit\0');
    const sampler = new HostStatsSampler({
      nvidiaSmi: join(dir, 'no-nvidia-smi'),
      tegrastats: tegra,
      modelFile: model,
    });
    expect((await sampler.sample()).gpus).toEqual([
      {
        name: 'NVIDIA Jetson Orin Nano Developer Kit GPU',
        utilPercent: 63,
        memoryUsedBytes: 1000 * 1024 * 1024,
        memoryTotalBytes: 4000 * 1024 * 1024,
        temperatureC: 51.5,
      },
    ]);
    // The tool was stopped, not left printing.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    // No tegrastats either: no GPU, and not asked again.
    const none = new HostStatsSampler({ nvidiaSmi: null, tegrastats: join(dir, 'absent') });
    expect((await none.sample()).gpus).toBeNull();
  });
});
