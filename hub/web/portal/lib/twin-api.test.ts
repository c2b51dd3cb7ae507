import { describe, expect, it } from 'vitest';
import { parseDesired, shown } from './twin-api.js';

describe('the configuration editor', () => {
  it('takes a JSON object, and says why anything else is not one before asking the hub', () => {
    expect(parseDesired('{"alerts": {"sensitivity": 0.7}}')).toEqual({
      ok: true,
      value: { alerts: { sensitivity: 0.7 } },
    });
    const broken = parseDesired('{"alerts": ');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.why).toMatch(/^not JSON: /);
    for (const text of ['[1]', '3', 'null'])
      expect(parseDesired(text), text).toMatchObject({
        ok: false,
        why: expect.stringContaining('JSON object'),
      });
  });
  it('shows values as JSON, and a missing one as -', () => {
    expect(shown(null)).toBe('-');
    expect(shown(0.7)).toBe('0.7');
    expect(shown('mp4')).toBe('mp4');
    expect(shown(['a'])).toBe('["a"]');
  });
});
