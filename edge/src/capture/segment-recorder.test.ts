import { describe, expect, it } from 'vitest';
import { isKeyFrame, segmentPath } from './segment-recorder.js';

const nal = (type: number, size = 4) => [0, 0, 0, 1, type, ...new Array(size).fill(0x55)];

describe('segment recorder helpers', () => {
  it('names segments in recording order, zero-padded so they sort', () => {
    expect(segmentPath('/r/run', 0)).toBe('/r/run-00000.mp4');
    expect(segmentPath('/r/run', 12)).toBe('/r/run-00012.mp4');
  });

  it('finds an IDR picture behind the parameter sets, and none in a P picture', () => {
    // Access unit delimiter, SPS, PPS, SEI, IDR slice: what x264 and h264parse config-interval=-1 give.
    expect(
      isKeyFrame(Buffer.from([...nal(0x09, 1), ...nal(0x67), ...nal(0x68), ...nal(0x06), ...nal(0x65)])),
    ).toBe(true);
    expect(isKeyFrame(Buffer.from([...nal(0x09, 1), ...nal(0x41)]))).toBe(false);
    expect(isKeyFrame(Buffer.from([]))).toBe(false);
  });
});
