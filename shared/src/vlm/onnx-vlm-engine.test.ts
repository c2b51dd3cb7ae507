import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTRACT_QUESTION, drain, vlmContract } from '../../../test/vlm-contract.js';
import { DEFAULT_TINY_ANSWERS, writeTinyGemma3Model } from '../testing/tiny-gemma3-model.js';
import { FrameFindingsAnalyzer } from './frame-findings.js';
import { OnnxVlmEngine, requiredModelFiles } from './onnx-vlm-engine.js';
import { type VlmImage, VlmUnavailableError } from './vlm-engine.js';

const root = mkdtempSync(join(tmpdir(), 'gic-vlm-onnx-'));
const modelDir = join(root, 'tiny-gemma3');
/** The tiny model's answer to a red frame: findings JSON as the frame analysis asks for it. */
const RED_FINDINGS = {
  finding: 'red mucosa',
  findingType: 'inflammation',
  location: 'rectum',
  sizeMm: null,
  paris: null,
  nice: null,
  bowelPrep: 2,
  imageQuality: { usable: true, remarks: [] },
  scene: {
    light: 'white-light',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
};
let engine: OnnxVlmEngine;

const solid = (r: number, g: number, b: number): VlmImage => {
  const rgb = new Uint8Array(24 * 16 * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set([r, g, b], i);
  return { width: 24, height: 16, rgb };
};

beforeAll(async () => {
  // Graphs written under the q4 names: the engine picks its files by the configured dtype.
  await writeTinyGemma3Model(modelDir, {
    suffixes: ['_q4'],
    answers: { redImage: JSON.stringify(RED_FINDINGS) },
  });
  engine = new OnnxVlmEngine({ modelDir, dtype: 'q4', maxWaiting: 1 });
  expect(await engine.start()).toEqual({ state: 'ready', backend: 'onnx', model: 'tiny-gemma3' });
});

afterAll(async () => {
  await engine?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('OnnxVlmEngine on the tiny Gemma 3 model (transformers.js generate, real tokenizer)', () => {
  vlmContract({ engine: () => engine, answer: DEFAULT_TINY_ANSWERS.text });

  test('generation runs in a child process, loaded once', () => {
    expect(engine.childPid).toBeTypeOf('number');
    expect(engine.childPid).not.toBe(process.pid);
    expect(engine.starts).toBe(1);
    expect(getPriority(engine.childPid)).toBe(Math.max(10, getPriority())); // yields the CPU to the live video
  });

  test('the image reaches the model: its colour picks the answer', async () => {
    const ask = (image: VlmImage) =>
      engine.generate({
        messages: [
          { role: 'system', content: 'Describe the frame.' },
          { role: 'user', content: 'What is in this frame?', image },
        ],
      });
    expect(JSON.parse((await drain(ask(solid(230, 20, 20)))).text)).toEqual(RED_FINDINGS);
    expect((await drain(ask(solid(20, 200, 20)))).text).toBe(DEFAULT_TINY_ANSWERS.otherImage);
  });

  test('frame findings from the model: a red frame parses, prose fails after its one repair', async () => {
    const analyzer = new FrameFindingsAnalyzer(engine, { timeoutMs: 15_000 });
    const red = await analyzer.analyse(solid(230, 20, 20), 'flagged by the polyp detector');
    expect(red.ok && red.outcome).toBe('parsed');
    expect(red.ok && red.findings).toMatchObject({
      findingType: 'inflammation',
      location: 'rectum',
      bowelPrep: 2,
    });
    const other = await analyzer.analyse(solid(20, 200, 20));
    expect(other).toMatchObject({
      ok: false,
      outcome: 'unparseable',
      answers: [DEFAULT_TINY_ANSWERS.otherImage, DEFAULT_TINY_ANSWERS.otherImage],
    });
    expect(analyzer.counter.parseRate).toBe(0.5);
  });

  test('a conversation with earlier turns and consecutive user messages is accepted', async () => {
    const { text, done } = await drain(
      engine.generate({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello.' },
          { role: 'assistant', content: 'Hello, how can I help?' },
          { role: 'user', content: 'Context: a procedure is running.' },
          { role: 'user', content: CONTRACT_QUESTION },
        ],
      }),
    );
    expect(text).toBe(DEFAULT_TINY_ANSWERS.text);
    expect(done.reason).toBe('stop');
  });

  test('a missing model or variant is off, with the reason, and refuses requests', async () => {
    const empty = new OnnxVlmEngine({ modelDir: join(root, 'nothing-here'), dtype: 'q4' });
    const off = empty.status();
    expect(off.state).toBe('off');
    expect(off.state === 'off' && off.reason).toContain('config.json');
    await expect(
      drain(empty.generate({ messages: [{ role: 'user', content: 'hi' }] })),
    ).rejects.toBeInstanceOf(VlmUnavailableError);
    // The folder holds the q4 graphs only: asking for fp16 names exactly what is missing.
    const fp16 = new OnnxVlmEngine({ modelDir, dtype: 'fp16' });
    const status = fp16.status();
    expect(status.state).toBe('off');
    expect(status.state === 'off' && status.reason).toContain('onnx/decoder_model_merged_fp16.onnx');
    expect(requiredModelFiles({ decoder_model_merged: 'q4', vision_encoder: 'fp16' })).toContain(
      'onnx/vision_encoder_fp16.onnx',
    );
    expect(fp16.childPid).toBeUndefined();
  });
});
