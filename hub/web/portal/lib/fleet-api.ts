/** A device as `GET /api/v1/devices` lists it (hub/src/devices/devices-repo.ts listDevices). */
export interface DeviceView {
  id: string;
  name: string;
  site: string | null;
  room: string | null;
  tags: string[];
  status: string;
  enrolled_at: string;
  key_rotated_at: string | null;
  last_seen_at: string | null;
  revoked_at: string | null;
  telemetry_at: string | null;
  telemetry: {
    source?: { state: string; message?: string };
    procedureId?: string | null;
    analysisFps?: number;
    pendingEvents?: number;
    upload?: { status: string; partsDone: number; partCount: number } | null;
    disk?: { freeBytes: number; recordingsBytes: number; warning?: string } | null;
    analysis?: { state: string; restarts: number; message?: string };
    models?: { id: string; version: string }[];
    modelsOff?: { id: string; reason: string }[];
    appVersion?: string;
    host?: {
      cpuPercent: number | null;
      loadAvg1: number;
      cpus: number;
      memoryUsedBytes: number;
      memoryTotalBytes: number;
      temperatureC: number | null;
      gpus: { name: string; utilPercent: number | null }[] | null;
    };
  } | null;
}

/** One bucket of `GET /api/v1/devices/{id}/telemetry` (hub/src/devices/telemetry-history.ts). */
export interface TelemetryPoint {
  at: string;
  reports: number;
  cpuPercent: number | null;
  loadAvg1: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  temperatureC: number | null;
  gpuUtilPercent: number | null;
  diskFreeBytes: number | null;
  pendingEvents: number | null;
  analysisFps: number | null;
}

export interface TelemetryHistory {
  deviceId: string;
  from: string;
  to: string;
  bucketSeconds: number;
  points: TelemetryPoint[];
}

/** Bytes as GB with one decimal. */
export const gb = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '-' : `${(bytes / 1e9).toFixed(1)} GB`;

/** How long ago, in words a person reads at a glance. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** The device's health in one word and why: what a fleet operator looks at first. */
export function health(d: DeviceView): { state: 'ok' | 'warn' | 'bad' | 'off'; why: string } {
  if (d.revoked_at) return { state: 'off', why: 'revoked' };
  if (d.status !== 'online' && d.status !== 'in-procedure')
    return { state: 'bad', why: d.status === 'never-connected' ? 'never connected' : d.status };
  const t = d.telemetry;
  const problems = [
    t?.analysis?.state === 'stalled' && 'analysis stalled',
    t?.source?.state === 'no-signal' && 'no signal',
    t?.disk?.warning,
    (t?.modelsOff?.length ?? 0) > 0 && `${t!.modelsOff!.length} model(s) off`,
    (t?.pendingEvents ?? 0) > 1000 && `${t!.pendingEvents} events waiting`,
    (t?.host?.temperatureC ?? 0) >= 85 && `${t!.host!.temperatureC} °C`,
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (problems.length) return { state: 'warn', why: problems.join(', ') };
  return { state: 'ok', why: d.status === 'in-procedure' ? 'in a procedure' : 'online' };
}
