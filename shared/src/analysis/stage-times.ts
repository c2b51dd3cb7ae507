/**
 * Where an analysis batch's time went, by stage (ms), for benchmarks and diagnosis (bench:edge reads
 * it through the edge's live-frame channel, see edge/src/live/frame-stages.ts). Filled in only where
 * a caller passes one: otherwise nothing is measured, so production pays nothing for it.
 */
export type StageTimes = Record<string, number>;

/** Adds `ms` to `stage` (a stage met several times in a batch, one per pass, sums); no-op without `times`. */
export function addStageTime(times: StageTimes | undefined, stage: string, ms: number): void {
  if (times) times[stage] = (times[stage] ?? 0) + ms;
}

/**
 * Runs `work` and adds its wall time to `stage`; without `times`, just runs it.
 * For async work, time only what runs alone (see FrameAnalyzer.analyseBatch).
 */
export async function timeStage<T>(
  times: StageTimes | undefined,
  stage: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!times) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    addStageTime(times, stage, performance.now() - started);
  }
}
