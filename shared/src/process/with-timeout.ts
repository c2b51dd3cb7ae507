/**
 * Settles like `work`, or rejects with `timedOut()` after `timeoutMs`, whichever comes first; the
 * timer never outlives the race.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut()), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
