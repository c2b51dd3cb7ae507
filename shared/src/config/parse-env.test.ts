import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { portVar, urlVar } from './env-types.js';
import { ConfigError, parseEnv } from './parse-env.js';

const schema = z.object({
  PORT: portVar.default(8080),
  URL: urlVar('http:').optional(),
  NAME: z.string().min(2),
});

describe('parseEnv', () => {
  it('applies defaults and coerces', () => {
    expect(parseEnv(schema, { NAME: 'ab' })).toEqual({ PORT: 8080, NAME: 'ab' });
    expect(parseEnv(schema, { NAME: 'ab', PORT: '99', URL: 'http://x' }).PORT).toBe(99);
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: '70000', URL: 'ftp://x', NAME: '' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT.*70000/);
    expect(problems.join('\n')).toMatch(/URL.*ftp/);
    expect(problems.join('\n')).toMatch(/NAME/);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv(schema, { NAME: 'ok', PORT: '' }).PORT).toBe(8080);
  });
});
