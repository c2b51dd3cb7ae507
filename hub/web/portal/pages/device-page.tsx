import { useCallback, useEffect, useState } from 'preact/hooks';
import { CommandsPanel } from '../components/commands-panel.js';
import { ConfigPanel } from '../components/config-panel.js';
import { TelemetryCharts } from '../components/telemetry-charts.js';
import { api, describeError, request, type Session } from '../lib/api.js';
import { ago, type DeviceView, gb, health, type TelemetryHistory } from '../lib/fleet-api.js';
import { can } from '../lib/permissions.js';

const PERIODS = [
  { hours: 1, label: '1 h' },
  { hours: 24, label: '24 h' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
];
const REFRESH_MS = 15_000;

/**
 * One box: where it stands and its tags (editable), its state and machine, its configuration against
 * the desired one (editable), remote commands and their history, its telemetry over a period as
 * charts, and revocation (asked twice). Refreshes every 15 s, as the box reports.
 */
export function DevicePage({ session, id }: { session: Session; id: string }) {
  const [device, setDevice] = useState<DeviceView | null>(null);
  const [history, setHistory] = useState<TelemetryHistory | null>(null);
  const [hours, setHours] = useState(24);
  const [problem, setProblem] = useState('');
  const [saved, setSaved] = useState('');
  const [edit, setEdit] = useState<{ site: string; room: string; tags: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const [list, telemetry] = await Promise.all([
        api<{ items: DeviceView[] }>(session, '/api/v1/devices'),
        api<TelemetryHistory>(session, `/api/v1/devices/${id}/telemetry?hours=${hours}&points=200`),
      ]);
      const found = list.items.find((d) => d.id === id) ?? null;
      setDevice(found);
      setHistory(telemetry);
      setProblem(found ? '' : 'No such device within your sites.');
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session, id, hours]);
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!edit || !device) return;
    const tags = edit.tags
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    const change = {
      ...(edit.site.trim() !== (device.site ?? '') ? { site: edit.site.trim() || null } : {}),
      ...(edit.room.trim() !== (device.room ?? '') ? { room: edit.room.trim() || null } : {}),
      tags,
    };
    try {
      await request(session, `/api/v1/devices/${id}`, { method: 'PATCH', body: JSON.stringify(change) });
      setEdit(null);
      setSaved('Saved.');
      setProblem('');
      await load();
    } catch (err) {
      setProblem(describeError(err));
    }
  };
  const revoke = async () => {
    if (!device || !confirm(`Revoke ${device.name}? It is cut off at once and must be enrolled again.`))
      return;
    try {
      await request(session, `/api/v1/devices/${id}/revoke`, { method: 'POST', body: '{}' });
      await load();
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const h = device && health(device);
  const t = device?.telemetry;
  return (
    <section id="device">
      <p>
        <a href="#/devices">← Fleet</a>
      </p>
      {problem && (
        <p class="notice" id="device-problem">
          {problem}
        </p>
      )}
      {device && h && (
        <>
          <h2 id="device-name">{device.name}</h2>
          <dl class="facts" id="device-facts">
            <dt>Id</dt>
            <dd>{device.id}</dd>
            <dt>State</dt>
            <dd id="device-health" class={`health health-${h.state}`}>
              {h.why}
            </dd>
            <dt>Site / room</dt>
            <dd>{`${device.site ?? '-'} / ${device.room ?? '-'}`}</dd>
            <dt>Tags</dt>
            <dd id="device-tags">{device.tags.join(', ') || '-'}</dd>
            <dt>Last seen</dt>
            <dd>{ago(device.last_seen_at)}</dd>
            <dt>Version</dt>
            <dd>{t?.appVersion ?? '-'}</dd>
            <dt>Models</dt>
            <dd id="device-models">
              {[
                ...(t?.models ?? []).map((m) => `${m.id} ${m.version}`),
                ...(t?.modelsOff ?? []).map((m) => `${m.id} off: ${m.reason}`),
              ].join('; ') || '-'}
            </dd>
            <dt>Machine</dt>
            <dd id="device-machine">
              {t?.host
                ? `${t.host.cpus} CPU(s), load ${t.host.loadAvg1.toFixed(2)}, memory ${gb(t.host.memoryUsedBytes)} of ${gb(t.host.memoryTotalBytes)}${t.host.temperatureC === null ? '' : `, ${t.host.temperatureC} °C`}${t.host.gpus?.length ? `, ${t.host.gpus.map((g) => g.name).join(', ')}` : ', no GPU seen'}`
                : '-'}
            </dd>
            <dt>Disk</dt>
            <dd>
              {t?.disk ? `${gb(t.disk.freeBytes)} free, recordings ${gb(t.disk.recordingsBytes)}` : '-'}
            </dd>
            <dt>Key</dt>
            <dd id="device-key">
              {device.key_rotated_at
                ? `rotated ${ago(device.key_rotated_at)}`
                : `the one it enrolled with, ${ago(device.enrolled_at)}`}
            </dd>
          </dl>
          {device.revoked_at ? (
            <p class="notice">{`Revoked ${ago(device.revoked_at)}.`}</p>
          ) : (
            <div class="actions">
              <button
                type="button"
                id="device-edit"
                onClick={() =>
                  setEdit({ site: device.site ?? '', room: device.room ?? '', tags: device.tags.join(', ') })
                }
              >
                Edit site, room and tags
              </button>
              <button type="button" id="device-revoke" class="danger" onClick={revoke}>
                Revoke
              </button>
            </div>
          )}
          {edit && (
            <form id="device-edit-form" onSubmit={save}>
              <label>
                Site{' '}
                <input
                  value={edit.site}
                  onInput={(e) => setEdit({ ...edit, site: (e.target as HTMLInputElement).value })}
                />
              </label>
              <label>
                Room{' '}
                <input
                  value={edit.room}
                  onInput={(e) => setEdit({ ...edit, room: (e.target as HTMLInputElement).value })}
                />
              </label>
              <label>
                Tags{' '}
                <input
                  id="device-edit-tags"
                  value={edit.tags}
                  placeholder="canary, wave-2"
                  onInput={(e) => setEdit({ ...edit, tags: (e.target as HTMLInputElement).value })}
                />
              </label>
              <button type="submit">Save</button>
              <button type="button" onClick={() => setEdit(null)}>
                Cancel
              </button>
            </form>
          )}
          {saved && !edit && <p class="muted">{saved}</p>}
          <ConfigPanel
            session={session}
            deviceId={device.id}
            canEdit={!device.revoked_at && can(session, 'devices.enrol')}
          />
          <CommandsPanel session={session} deviceId={device.id} canIssue={!device.revoked_at} />
          <h3>Telemetry</h3>
          <div class="actions" id="telemetry-periods">
            {PERIODS.map((p) => (
              <button
                type="button"
                key={p.hours}
                aria-pressed={hours === p.hours}
                onClick={() => setHours(p.hours)}
              >
                {p.label}
              </button>
            ))}
          </div>
          {history && <TelemetryCharts points={history.points} from={history.from} to={history.to} />}
        </>
      )}
    </section>
  );
}
