// Small helpers to print the fleet benchmark's figures.

/** The p-th percentile (nearest rank) of unsorted numbers; NaN for none. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function maxOf(values) {
  let max = Number.NaN;
  for (const v of values) if (!(v <= max)) max = v;
  return max;
}

/** "median 12 ms, p95 30 ms, max 41 ms" of times in ms. */
export function spread(ms) {
  if (ms.length === 0) return 'none';
  return `median ${fmtMs(percentile(ms, 50))}, p95 ${fmtMs(percentile(ms, 95))}, max ${fmtMs(maxOf(ms))}`;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Runs `work` over `items` with at most `limit` at once, results in order. */
export async function inBatches(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export const wait = (ms) => new Promise((r) => setTimeout(r, ms));
