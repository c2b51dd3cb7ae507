import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Timeline } from '../../../src/procedures/procedure-view-types.js';

/** Each finding's best score at its frame (null elsewhere), on the quality series' x values. */
function findingPoints(timeline: Timeline): (number | null)[] {
  const best = new Map<number, number>();
  for (const f of timeline.findings) best.set(f.tMs, Math.max(best.get(f.tMs) ?? 0, f.score));
  return timeline.quality.map((q) => best.get(q.tMs) ?? null);
}

/**
 * Quality over time (uPlot): 0..1 per analysed frame, in/out of body as a step line, findings as
 * points at their score. A click on the chart seeks the video to that time.
 */
export function QualityChart({
  timeline,
  positionMs,
  onSeek,
}: {
  timeline: Timeline;
  positionMs: number;
  onSeek: (timelineMs: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seek = useRef(onSeek);
  seek.current = onSeek;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = timeline.quality.map((q) => q.tMs / 1000);
    const inBody = timeline.quality.map((q) =>
      timeline.inBody.some((r) => q.tMs >= r.startMs && q.tMs < r.endMs) ? 1 : 0,
    );
    const chart = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 160,
        scales: { x: { time: false }, y: { range: [0, 1.05] } },
        axes: [{ label: 'seconds' }, { label: 'quality' }],
        series: [
          {},
          { label: 'quality', stroke: '#1f6feb', width: 2, points: { show: false } },
          { label: 'in body', stroke: '#3fb950', width: 1, paths: uPlot.paths.stepped?.({ align: 1 }) },
          // Findings as points at their score, on the frames where a model found something.
          {
            label: 'findings',
            stroke: '#2e7d32',
            paths: () => null,
            points: { show: true, size: 8, fill: '#2e7d32' },
          },
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { show: true },
      },
      [xs, timeline.quality.map((q) => q.score), inBody, findingPoints(timeline)],
      el,
    );
    plot.current = chart;
    const click = () => {
      const left = chart.cursor.left;
      if (left === undefined || left < 0) return;
      seek.current(chart.posToVal(left, 'x') * 1000);
    };
    chart.over.addEventListener('click', click);
    const resize = () => chart.setSize({ width: Math.max(300, el.clientWidth), height: 160 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      chart.destroy();
      plot.current = null;
    };
  }, [timeline]);

  // The playing position as the cursor's place, so the chart follows the video.
  useEffect(() => {
    const chart = plot.current;
    if (!chart || timeline.quality.length === 0) return;
    chart.setCursor({ left: chart.valToPos(positionMs / 1000, 'x'), top: -10 }, false);
  }, [positionMs, timeline]);

  return (
    <div
      class="chart"
      id="quality-chart"
      ref={box}
      role="img"
      aria-label="quality over time; click to seek the video there"
    />
  );
}
