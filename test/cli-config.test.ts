import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function run(script: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [join(root, script)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('processes refuse bad configuration with one message listing every bad setting', () => {
  it('hub', () => {
    const r = run('hub/dist/main.js', {
      GIC_HUB_PORT: 'http',
      S3_BUCKET: 'A',
      GIC_HUB_ROLES: 'api,chef',
      MQTT_URL: 'tcp://x',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gic-hub: Invalid configuration:/);
    for (const name of ['GIC_HUB_PORT', 'S3_BUCKET', 'GIC_HUB_ROLES', 'MQTT_URL'])
      expect(r.stderr).toContain(name);
    expect(r.stderr.trim().split('\n')).toHaveLength(5);
  });

  it('edge', () => {
    const r = run('edge/dist/main.js', {
      GIC_EDGE_PORT: '99999',
      GIC_PRIVACY_MASKS: 'top',
      GIC_ANALYSIS_FPS: '0',
    });
    expect(r.status).toBe(2);
    for (const name of ['GIC_EDGE_PORT', 'GIC_PRIVACY_MASKS', 'GIC_ANALYSIS_FPS'])
      expect(r.stderr).toContain(name);
    expect(r.stderr).not.toContain('    at '); // a message, not a stack trace
  });
});
