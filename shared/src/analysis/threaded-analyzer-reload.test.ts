import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { installTinyPolypModel } from '../testing/tiny-polyp-model.js';
import { ThreadedAnalyzer } from './threaded-analyzer.js';

const log = createLogger('threaded-analyzer-reload-test', 'silent');

describe('ThreadedAnalyzer.reload (a model version switched in its folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-reload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the new version on a new thread; requests already sent finish on the old one', async () => {
    const id = installTinyPolypModel(dir);
    const analyzer = await ThreadedAnalyzer.start(dir, [id], log);
    try {
      expect(analyzer.models).toEqual([expect.objectContaining({ id, version: '1.0.0' })]);
      const stride = rgbStride(64);
      const frame: RgbFrame = {
        data: new Uint8Array(stride * 48).fill(90),
        width: 64,
        height: 48,
        stride,
        index: 0,
        ptsMs: 0,
      };
      const manifestPath = join(dir, `${id}.json`);
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: '2.0.0' }));
      const inFlight = analyzer.analyse(frame);
      const loaded = await analyzer.reload();
      expect(loaded.models).toEqual([expect.objectContaining({ id, version: '2.0.0' })]);
      expect(analyzer.models[0]!.version).toBe('2.0.0');
      expect((await inFlight).modelsOff).toEqual([]);
      expect((await analyzer.analyse(frame)).modelsOff).toEqual([]);
    } finally {
      await analyzer.close();
    }
  }, 30_000);
});
