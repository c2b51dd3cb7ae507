/**
 * Settles like `work`, or rejects with `timedOut()` once `lastProgress()` (a `performance.now()`
 * time, read again as the wait goes on) has been `idleMs` ago or more, counted from the call at the
 * earliest: slow work that still makes progress is waited for, work that hangs is not. The timer
 * never outlives the race.
 */
export async function withIdleTimeout<T>(
  work: Promise<T>,
  idleMs: number,
  lastProgress: () => number,
  timedOut: () => Error,
): Promise<T> {
  const since = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        const check = () => {
          const quietMs = performance.now() - Math.max(since, lastProgress());
          if (quietMs >= idleMs) reject(timedOut());
          else timer = setTimeout(check, idleMs - quietMs);
        };
        timer = setTimeout(check, idleMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
