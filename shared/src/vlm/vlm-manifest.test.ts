import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { requiredModelFiles } from './onnx-vlm-engine.js';

const root = join(import.meta.dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'models', 'medgemma-4b-it.json'), 'utf8')) as {
  common: string[];
  variants: Record<'q4' | 'fp16', string[]>;
  termsUrl: string;
};

test('the MedGemma manifest lists exactly the files the engine needs for q4 and fp16', () => {
  for (const variant of ['q4', 'fp16'] as const) {
    expect([...manifest.common, ...manifest.variants[variant]].sort()).toEqual(
      [...requiredModelFiles(variant), 'generation_config.json'].sort(),
    );
  }
  expect(manifest.termsUrl).toMatch(
    /^https:\/\/developers\.google\.com\/health-ai-developer-foundations\/terms/,
  );
});

test('the fetch script shows the terms and downloads nothing until they are accepted', async () => {
  const run = promisify(execFile)('bash', [join(root, 'scripts', 'fetch-medgemma.sh'), 'q4'], {
    cwd: root,
    env: { ...process.env, HF_TOKEN: '' },
  });
  const err = (await run.catch((e: unknown) => e)) as { code: number; stdout: string; stderr: string };
  expect(err.code).toBe(1);
  expect(err.stdout).toContain('Health AI Developer Foundations');
  expect(err.stderr).toMatch(/--accept-terms/);
  expect(err.stdout).not.toContain('listing');
});
