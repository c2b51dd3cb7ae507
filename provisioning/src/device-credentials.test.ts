import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DeviceCredentials,
  loadDeviceCredentials,
  saveDeviceCredentials,
} from './device-credentials.js';
import { generateDeviceKeyPair, privateJwkSchema, publicJwkSchema } from './device-keys.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gic-provisioning-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sampleCredentials(): Promise<DeviceCredentials> {
  const { privateJwk, publicJwk } = await generateDeviceKeyPair();
  return {
    deviceId: 'edge-0123456789ab',
    privateJwk: privateJwkSchema.parse(privateJwk),
    publicJwk: publicJwkSchema.parse(publicJwk),
    mqttUrl: 'mqtt://127.0.0.1:1883',
    hubUrl: 'http://127.0.0.1:8080',
    enrolledAt: new Date().toISOString(),
  };
}

describe('device credentials file', () => {
  it('round-trips through a 0600 file in a new 0700 folder, leaving no temp file', async () => {
    const creds = await sampleCredentials();
    const path = join(dir, 'nested', 'device.json');
    saveDeviceCredentials(path, creds);
    expect(loadDeviceCredentials(path)).toEqual(creds);
    if (process.platform !== 'win32') {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    }
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('replaces an existing file and a stale temp file', async () => {
    const path = join(dir, 'device.json');
    saveDeviceCredentials(path, await sampleCredentials());
    writeFileSync(`${path}.tmp`, 'stale', { mode: 0o644 });
    const fresh = await sampleCredentials();
    saveDeviceCredentials(path, fresh);
    expect(loadDeviceCredentials(path)).toEqual(fresh);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to save invalid credentials', async () => {
    const creds = await sampleCredentials();
    const path = join(dir, 'device.json');
    expect(() => saveDeviceCredentials(path, { ...creds, deviceId: 'Bad Id' })).toThrow();
    expect(existsSync(path)).toBe(false);
  });

  it('gives undefined when the file does not exist', () => {
    expect(loadDeviceCredentials(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('names the path when the file is not JSON, without quoting its content', () => {
    const path = join(dir, 'device.json');
    writeFileSync(path, '{"privateJwk": {"d": "SECRET-KEY-MATERIAL"');
    expect(() => loadDeviceCredentials(path)).toThrow(path);
    expect(() => loadDeviceCredentials(path)).not.toThrow(/SECRET/);
  });

  it('lists every schema problem with the path', async () => {
    const creds = await sampleCredentials();
    const path = join(dir, 'device.json');
    writeFileSync(path, JSON.stringify({ ...creds, deviceId: 'Bad Id', hubUrl: 'ftp://x' }));
    expect(() => loadDeviceCredentials(path)).toThrow(/device\.json.*deviceId.*hubUrl/);
  });

  it('rejects a key pair whose halves do not match', async () => {
    const creds = await sampleCredentials();
    const other = await sampleCredentials();
    const path = join(dir, 'device.json');
    writeFileSync(path, JSON.stringify({ ...creds, publicJwk: other.publicJwk }));
    expect(() => loadDeviceCredentials(path)).toThrow(/not a pair/);
    expect(readFileSync(path, 'utf8')).toContain(other.publicJwk.x);
  });
});
