import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { drain } from '../../../test/vlm-contract.js';
import { DEFAULT_TINY_ANSWERS, writeTinyGemma3Model } from '../testing/tiny-gemma3-model.js';
import { OnnxVlmEngine } from './onnx-vlm-engine.js';
import { VlmTimeoutError, VlmUnavailableError } from './vlm-engine.js';

const root = mkdtempSync(join(tmpdir(), 'gic-vlm-kill-'));
const slowDir = join(root, 'slow');
let slow: OnnxVlmEngine;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  // An image costs 1000 matrix products (about 270 GFLOP) in the vision encoder, far longer than the hard
  // limit below; text alone is fast.
  await writeTinyGemma3Model(slowDir, { visionSlowness: 1000 });
  slow = new OnnxVlmEngine({ modelDir: slowDir, dtype: 'fp32' });
});

afterAll(async () => {
  await slow?.close();
  rmSync(root, { recursive: true, force: true });
});

const ask = { messages: [{ role: 'user' as const, content: 'Describe the frame.' }] };
const frame = { width: 8, height: 8, rgb: new Uint8Array(8 * 8 * 3).fill(128) };

test('a hard limit reached while the model loads fails the request but lets the load finish', async () => {
  await expect(drain(slow.generate({ ...ask, timeoutMs: 50 }))).rejects.toBeInstanceOf(VlmTimeoutError);
  const pid = slow.childPid!;
  expect((await slow.start()).state).toBe('ready');
  expect(slow.childPid).toBe(pid);
  expect(slow.starts).toBe(1);
});

test('the hard limit kills the child mid-step; the next request starts a fresh one', async () => {
  const pid = slow.childPid!;
  expect(alive(pid)).toBe(true);
  const t0 = performance.now();
  const stream = slow.generate({
    messages: [{ role: 'user', content: 'Describe the frame.', image: frame }],
    timeoutMs: 300,
  });
  await expect(drain(stream)).rejects.toBeInstanceOf(VlmTimeoutError);
  expect(performance.now() - t0).toBeLessThan(1500);
  await expect.poll(() => alive(pid), { timeout: 2000, interval: 20 }).toBe(false);
  expect(slow.childPid).toBeUndefined();

  const { text, done } = await drain(slow.generate(ask));
  expect(text).toBe(DEFAULT_TINY_ANSWERS.text);
  expect(done.reason).toBe('stop');
  expect(slow.starts).toBe(2);
  expect(slow.childPid).not.toBe(pid);
});

test('a model that fails to load is off, with the reason the loader gave', async () => {
  const broken = join(root, 'broken');
  await writeTinyGemma3Model(broken);
  writeFileSync(join(broken, 'onnx', 'decoder_model_merged.onnx'), 'not an onnx graph');
  const engine = new OnnxVlmEngine({ modelDir: broken, dtype: 'fp32' });
  expect(engine.status().state).toBe('ready'); // every file is there
  const status = await engine.start();
  expect(status.state).toBe('off');
  expect(status.state === 'off' && status.reason).toMatch(/failed to load/);
  await expect(drain(engine.generate(ask))).rejects.toBeInstanceOf(VlmUnavailableError);
  await engine.close();
});
