import { describe, expect, it } from 'vitest';
import { TextScanCadence } from './text-scan-cadence.js';

const at = (...ptsMs: number[]) => ptsMs.map((p) => ({ ptsMs: p }));

describe('TextScanCadence', () => {
  it('scans in full at most once per interval of stream time, light in between', () => {
    const cadence = new TextScanCadence(1000);
    expect(cadence.pick(at(0, 200, 400, 999))).toEqual(['full', 'light', 'light', 'light']);
    expect(cadence.pick(at(1000, 1200))).toEqual(['full', 'light']);
    // A gap longer than the interval (frames dropped) gets a full scan on the first frame after it.
    expect(cadence.pick(at(5000))).toEqual(['full']);
  });

  it('starts over when stream time goes backwards (a new run of the source)', () => {
    const cadence = new TextScanCadence(1000);
    cadence.pick(at(5000, 5200));
    expect(cadence.pick(at(100, 300))).toEqual(['full', 'light']);
  });

  it('scans every frame in full with an interval of 0, and refuses a negative one', () => {
    expect(new TextScanCadence(0).pick(at(0, 1, 2))).toEqual(['full', 'full', 'full']);
    expect(() => new TextScanCadence(-1)).toThrow(RangeError);
    expect(() => new TextScanCadence(Number.NaN)).toThrow(RangeError);
  });
});
