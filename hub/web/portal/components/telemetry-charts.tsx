import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { TelemetryPoint } from '../lib/fleet-api.js';

/** The charts of a device's history: what each shows, its unit and how it is read from a bucket. */
const CHARTS: {
  id: string;
  title: string;
  unit: string;
  range?: [number, number];
  series: { label: string; stroke: string; value: (p: TelemetryPoint) => number | null }[];
}[] = [
  {
    id: 'cpu',
    title: 'CPU and GPU use (mean)',
    unit: '%',
    range: [0, 100],
    series: [
      { label: 'CPU %', stroke: '#1f6feb', value: (p) => p.cpuPercent },
      { label: 'GPU %', stroke: '#8957e5', value: (p) => p.gpuUtilPercent },
    ],
  },
  {
    id: 'temperature',
    title: 'Temperature (high)',
    unit: '°C',
    series: [{ label: '°C', stroke: '#d1242f', value: (p) => p.temperatureC }],
  },
  {
    id: 'memory',
    title: 'Memory used (high)',
    unit: 'GB',
    series: [
      {
        label: 'GB',
        stroke: '#2e7d32',
        value: (p) => (p.memoryUsedBytes === null ? null : +(p.memoryUsedBytes / 1e9).toFixed(2)),
      },
    ],
  },
  {
    id: 'disk',
    title: 'Free disk (low)',
    unit: 'GB',
    series: [
      {
        label: 'GB',
        stroke: '#9a6700',
        value: (p) => (p.diskFreeBytes === null ? null : +(p.diskFreeBytes / 1e9).toFixed(1)),
      },
    ],
  },
  {
    id: 'backlog',
    title: 'Events waiting to sync (high) and analysis rate',
    unit: '',
    series: [
      { label: 'events', stroke: '#bc4c00', value: (p) => p.pendingEvents },
      { label: 'frames/s', stroke: '#0969da', value: (p) => p.analysisFps },
    ],
  },
];

function Chart({
  points,
  chart,
  period,
}: {
  points: TelemetryPoint[];
  chart: (typeof CHARTS)[number];
  period: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = points.map((p) => Date.parse(p.at) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 150,
        // The whole period asked for, however few reports fell in it.
        scales: {
          x: { time: true, range: () => period },
          y: chart.range ? { range: chart.range } : { auto: true },
        },
        axes: [{}, { label: chart.unit }],
        series: [
          {},
          ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false })),
        ],
        legend: { show: true },
      },
      [xs, ...chart.series.map((s) => points.map(s.value))],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(300, el.clientWidth), height: 150 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [points, chart, period]);
  return <div class="chart" ref={box} role="img" aria-label={chart.title} />;
}

/** A device's telemetry over time, one small chart per measure (uPlot, bundled: no CDN). */
export function TelemetryCharts({
  points,
  from,
  to,
}: {
  points: TelemetryPoint[];
  from: string;
  to: string;
}) {
  const period = useMemo<[number, number]>(
    () => [Date.parse(from) / 1000, Date.parse(to) / 1000],
    [from, to],
  );
  if (points.length === 0) return <p id="telemetry-empty">No telemetry in this period.</p>;
  return (
    <div class="telemetry-charts">
      {CHARTS.map((chart) => (
        <figure key={chart.id} id={`telemetry-${chart.id}`} data-points={String(points.length)}>
          <figcaption>{chart.title}</figcaption>
          <Chart points={points} chart={chart} period={period} />
        </figure>
      ))}
    </div>
  );
}
