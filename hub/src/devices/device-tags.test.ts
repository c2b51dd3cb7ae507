import { describe, expect, it } from 'vitest';
import { deviceTagsSchema } from './device-tags.js';

describe('device tags', () => {
  it('keeps each tag once, sorted', () => {
    expect(deviceTagsSchema.parse(['wave-2', 'canary', 'canary', 'cf-h190l', 'site_b.east'])).toEqual([
      'canary',
      'cf-h190l',
      'site_b.east',
      'wave-2',
    ]);
  });
  it('refuses what is not a tag, naming it, and more than 20', () => {
    for (const bad of ['', 'Canary', 'a b', '-lead', 'x'.repeat(41), 'é', 'a/b']) {
      const r = deviceTagsSchema.safeParse([bad]);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual([0]);
    }
    expect(
      deviceTagsSchema.safeParse(Array.from({ length: 21 }, (_, i) => `t${i}`)).error?.issues[0]?.message,
    ).toBe('at most 20 tags');
  });
});
