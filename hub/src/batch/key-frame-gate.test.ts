import { describe, expect, it } from 'vitest';
import { keyFramesWhileStill } from './key-frame-gate.js';

describe('keyFramesWhileStill', () => {
  it('decodes key frames alone while they come as often as the sampler asks, and every frame otherwise', () => {
    const sampler = { targetFps: 1 };
    const gate = keyFramesWhileStill(sampler);
    expect(gate(undefined)).toBe(false); // where key frames are is not known yet
    expect(gate(1000)).toBe(true); // a room's recording: a key frame a second, the still rate
    expect(gate(1033)).toBe(true); // times rounded to the video's own rate
    expect(gate(2000)).toBe(false); // the hub's masked copies: too sparse for 1 fps
    expect(gate(0)).toBe(false);
    sampler.targetFps = 1.5; // motion asks for more than the key frames give
    expect(gate(1000)).toBe(false);
    expect(gate(500)).toBe(true);
    sampler.targetFps = 3;
    expect(gate(333)).toBe(true);
  });
});
