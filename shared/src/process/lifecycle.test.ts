import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { Lifecycle } from './lifecycle.js';

describe('Lifecycle', () => {
  it('stops parts in reverse order, past one that fails and one that never finishes', async () => {
    const stopped: string[] = [];
    const parts = new Lifecycle(createLogger('lifecycle-test', 'silent'), 100);
    parts.add('database', () => {
      stopped.push('database');
    });
    parts.add('hangs', () => new Promise<void>(() => {}));
    parts.add('fails', () => {
      throw new Error('no');
    });
    parts.add('http', async () => {
      stopped.push('http');
    });
    const started = performance.now();
    await parts.stop();
    expect(stopped).toEqual(['http', 'database']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
