import { withIdleTimeout } from './with-idle-timeout.js';

/**
 * Settles like `work`, or rejects with `timedOut()` after `timeoutMs`, whichever comes first; the
 * timer never outlives the race. (An idle timeout whose work never reports progress.)
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  return withIdleTimeout(work, timeoutMs, () => Number.NEGATIVE_INFINITY, timedOut);
}
