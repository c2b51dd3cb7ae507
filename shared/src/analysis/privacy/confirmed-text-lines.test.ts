import { describe, expect, it } from 'vitest';
import { CONFIRMED_FOR_MS, CONFIRMED_FOR_WALL_MS, ConfirmedTextLines } from './confirmed-text-lines.js';

const size = { width: 1280, height: 720 };
const banner = { x: 0.1, y: 0.02, w: 0.6, h: 0.04 };

describe('ConfirmedTextLines', () => {
  it('covers a line read as text, found again nearly in place, for CONFIRMED_FOR_MS of stream time', () => {
    const lines = new ConfirmedTextLines();
    expect(lines.covers(banner, size, 0)).toBe(false);
    lines.confirmed(banner, size, 1000);
    // The detector's box jitters by a few pixels from frame to frame.
    const jittered = { x: 0.102, y: 0.021, w: 0.597, h: 0.039 };
    expect(lines.covers(jittered, size, 1200)).toBe(true);
    expect(lines.covers(jittered, size, 1000 + CONFIRMED_FOR_MS)).toBe(true);
    expect(lines.covers(jittered, size, 1001 + CONFIRMED_FOR_MS)).toBe(false);
  });

  it('does not cover a line elsewhere, of another length, or in a frame of another size', () => {
    const lines = new ConfirmedTextLines();
    lines.confirmed(banner, size, 0);
    expect(lines.covers({ ...banner, y: 0.9 }, size, 100)).toBe(false);
    expect(lines.covers({ ...banner, w: 0.3 }, size, 100)).toBe(false);
    expect(lines.covers(banner, { width: 1920, height: 1080 }, 100)).toBe(false);
  });

  it('a new reading of the same line replaces the old one, so its time runs from the latest', () => {
    const lines = new ConfirmedTextLines();
    lines.confirmed(banner, size, 0);
    lines.confirmed(banner, size, 1500);
    expect(lines.covers(banner, size, 1500 + CONFIRMED_FOR_MS)).toBe(true);
  });

  it('remembers at most 64 lines a frame size, the latest', () => {
    const lines = new ConfirmedTextLines();
    const line = (i: number) => ({ x: 0, y: i / 100, w: 0.2, h: 0.009 });
    for (let i = 0; i < 80; i++) lines.confirmed(line(i), size, 0);
    expect(lines.covers(line(0), size, 0)).toBe(false);
    expect(lines.covers(line(15), size, 0)).toBe(false);
    expect(lines.covers(line(16), size, 0)).toBe(true);
    expect(lines.covers(line(79), size, 0)).toBe(true);
  });

  it('forgets a confirmation after CONFIRMED_FOR_WALL_MS of wall-clock time, for frames with no stream time of their own', () => {
    let now = 0;
    const lines = new ConfirmedTextLines(() => now);
    lines.confirmed(banner, size, 0);
    now = CONFIRMED_FOR_WALL_MS;
    expect(lines.covers(banner, size, 0)).toBe(true);
    now++;
    expect(lines.covers(banner, size, 0)).toBe(false);
  });
});
