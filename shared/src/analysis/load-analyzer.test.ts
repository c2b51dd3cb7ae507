import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { rgbStride } from '../media/frame.js';
import { installTinyPolypModel } from '../testing/tiny-polyp-model.js';
import { loadFrameAnalyzer } from './load-analyzer.js';

const shipped = join(import.meta.dirname, '..', '..', '..', 'models');
const log = createLogger('test', 'silent');

describe('loadFrameAnalyzer', () => {
  it('loads the shipped text detector from its manifest, stills analysed at 1280x720', async () => {
    const { analyzer, size } = await loadFrameAnalyzer(shipped, ['pp-ocrv4-det'], log);
    expect(size).toEqual({ width: 1280, height: 720 });
    expect(analyzer.models).toEqual([{ id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cpu' }]);
    // A flat frame has no text.
    const stride = rgbStride(512);
    const data = new Uint8Array(stride * 288).fill(90);
    const analysis = await analyzer.analyse({ data, width: 512, height: 288, stride, index: 0, ptsMs: 0 });
    expect(analysis.privacyRegions).toEqual([]);
    expect(analysis.modelsOff).toEqual([]);
    await analyzer.close();
  });

  it('runs on without a missing, corrupt or invalid model and says why each is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-models-'));
    const manifest = JSON.parse(readFileSync(join(shipped, 'pp-ocrv4-det.json'), 'utf8'));
    writeFileSync(
      join(dir, 'corrupt.json'),
      JSON.stringify({
        ...manifest,
        id: 'corrupt',
        files: [{ ...manifest.files[0], sha256: '0'.repeat(64) }],
      }),
    );
    writeFileSync(
      join(dir, 'invalid.json'),
      JSON.stringify({ ...manifest, id: 'invalid', input: { ...manifest.input, layout: 'CHWN' } }),
    );
    writeFileSync(
      join(dir, 'nofile.json'),
      JSON.stringify({ ...manifest, id: 'nofile', files: [{ name: 'model.onnx', sha256: '1'.repeat(64) }] }),
    );
    copyFileSync(join(shipped, 'pp-ocrv4-det.json'), join(dir, 'pp-ocrv4-det.json'));
    const { analyzer, size } = await loadFrameAnalyzer(dir, ['corrupt', 'invalid', 'nofile', 'absent'], log);
    expect(analyzer.models).toEqual([]);
    expect(size).toEqual({ width: 1280, height: 720 });
    const reasons = Object.fromEntries(analyzer.modelsOff.map((m) => [m.id, m.reason]));
    expect(reasons.corrupt).toMatch(/SHA-256 30a86f57.*manifest says 0000/);
    expect(reasons.invalid).toMatch(/invalid manifest: input.layout/);
    expect(reasons.nofile).toMatch(/file model.onnx not found; place it at .*nofile\/model.onnx/);
    expect(reasons.absent).toMatch(/manifest unreadable/);
  });

  it('runs an operator-supplied polyp detector on in-body frames and reports its findings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-models-'));
    copyFileSync(join(shipped, 'pp-ocrv4-det.json'), join(dir, 'pp-ocrv4-det.json'));
    const polyp = installTinyPolypModel(dir);
    const { analyzer } = await loadFrameAnalyzer(dir, ['pp-ocrv4-det', polyp], log);
    expect(analyzer.models.map((m) => m.id)).toEqual(['pp-ocrv4-det', 'tiny-polyp']);
    // Mucosa-like red everywhere, with a bright red lesion filling most of the bottom-right quadrant.
    const stride = rgbStride(512);
    const data = new Uint8Array(stride * 288);
    for (let y = 0; y < 288; y++)
      for (let x = 0; x < 512; x++) {
        const lesion = x >= 280 && y >= 156;
        data.set(lesion ? [250, 20, 20] : [150, 60, 50], y * stride + x * 3);
      }
    const analysis = await analyzer.analyse({ data, width: 512, height: 288, stride, index: 0, ptsMs: 0 });
    expect(analysis.quality.inBody).toBe(true);
    expect(analysis.detections).toHaveLength(1);
    expect(analysis.detections[0]).toMatchObject({
      label: 'polyp',
      modelId: 'tiny-polyp',
      box: { x: 0.5, y: 0.5 },
    });
    // Outside the body the detector is not run at all.
    const grey = new Uint8Array(stride * 288).fill(128);
    expect(
      (await analyzer.analyse({ data: grey, width: 512, height: 288, stride, index: 1, ptsMs: 0 }))
        .detections,
    ).toEqual([]);
    await analyzer.close();
  });
});
