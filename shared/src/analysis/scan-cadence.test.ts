import { describe, expect, it } from 'vitest';
import { ScanCadence } from './scan-cadence.js';

const at = (...ptsMs: number[]) => ptsMs.map((p) => ({ ptsMs: p }));

describe('ScanCadence', () => {
  it('scans in full so that no two full scans are more than the interval apart, light in between', () => {
    const cadence = new ScanCadence(1000);
    // 5 fps: waiting for 1000 would be exactly the interval, so 1000 is full, 800 is not.
    expect(cadence.pick(at(0, 200, 400, 600, 800, 1000, 1200))).toEqual([
      'full',
      'light',
      'light',
      'light',
      'light',
      'full',
      'light',
    ]);
    // 2 fps: the next frame would come 1500 ms after the last full scan, so 1500 is already too late
    // and 1000 scans in full.
    const slow = new ScanCadence(1000);
    expect(slow.pick(at(0, 500, 1000, 1500, 2000))).toEqual(['full', 'light', 'full', 'light', 'full']);
  });

  it('scans in full after a gap longer than the interval (frames dropped)', () => {
    const cadence = new ScanCadence(1000);
    cadence.pick(at(0, 200));
    expect(cadence.pick(at(5000))).toEqual(['full']);
  });

  it('starts over when stream time goes backwards (a new run of the source)', () => {
    const cadence = new ScanCadence(1000);
    cadence.pick(at(5000, 5200));
    expect(cadence.pick(at(100, 300))).toEqual(['full', 'light']);
  });

  it('scans every frame in full with an interval of 0, and refuses one the recorder cannot cover', () => {
    expect(new ScanCadence(0).pick(at(0, 1, 2))).toEqual(['full', 'full', 'full']);
    expect(() => new ScanCadence(-1)).toThrow(RangeError);
    expect(() => new ScanCadence(1001)).toThrow(/0\.\.1000 ms/);
    expect(() => new ScanCadence(Number.NaN)).toThrow(RangeError);
  });
});
