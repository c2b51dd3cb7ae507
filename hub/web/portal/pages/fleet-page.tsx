import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError, type Session } from '../lib/api.js';
import { ago, type DeviceView, gb, health } from '../lib/fleet-api.js';
import { deviceHref } from '../lib/route.js';

const REFRESH_MS = 5000;

/** Every box of the caller's sites: state, health and why, versions, backlog; filtered by tag. */
export function FleetPage({ session }: { session: Session }) {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  const [tag, setTag] = useState('');
  const [problem, setProblem] = useState('');

  const load = useCallback(async () => {
    try {
      const query = tag.trim() ? `?tag=${encodeURIComponent(tag.trim())}` : '';
      setDevices((await api<{ items: DeviceView[] }>(session, `/api/v1/devices${query}`)).items);
      setProblem('');
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session, tag]);
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  const counts = (devices ?? []).reduce<Record<string, number>>((all, d) => {
    const s = health(d).state;
    all[s] = (all[s] ?? 0) + 1;
    return all;
  }, {});

  return (
    <section id="fleet">
      <h2>Fleet</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <label>
          Tag{' '}
          <input
            id="fleet-tag"
            value={tag}
            placeholder="e.g. canary"
            onInput={(e) => setTag((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {problem && (
        <p class="notice" id="fleet-problem">
          {problem}
        </p>
      )}
      {devices && (
        <p id="fleet-counts" class="muted">
          {`${devices.length} device(s): ${counts.ok ?? 0} ok, ${counts.warn ?? 0} with warnings, ${counts.bad ?? 0} offline, ${counts.off ?? 0} revoked`}
        </p>
      )}
      {devices && (
        <table id="fleet-table">
          <thead>
            <tr>
              <th>Device</th>
              <th>Site / room</th>
              <th>Tags</th>
              <th>State</th>
              <th>Last seen</th>
              <th>Version</th>
              <th>Models</th>
              <th>CPU</th>
              <th>Free disk</th>
              <th>Waiting</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => {
              const h = health(d);
              const t = d.telemetry;
              return (
                <tr key={d.id} data-device={d.id} data-health={h.state}>
                  <td>
                    <a href={deviceHref(d.id)}>{d.name}</a>
                    <div class="muted">{d.id}</div>
                  </td>
                  <td>{[d.site ?? '-', d.room ?? '-'].join(' / ')}</td>
                  <td class="tags">{d.tags.join(', ') || '-'}</td>
                  <td class={`health health-${h.state}`}>{h.why}</td>
                  <td>{ago(d.last_seen_at)}</td>
                  <td>{t?.appVersion ?? '-'}</td>
                  <td>{t?.models ? `${t.models.length} on, ${t.modelsOff?.length ?? 0} off` : '-'}</td>
                  <td>
                    {t?.host?.cpuPercent === null || !t?.host ? '-' : `${Math.round(t.host.cpuPercent)}%`}
                  </td>
                  <td>{gb(t?.disk?.freeBytes)}</td>
                  <td>{t?.pendingEvents ?? '-'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
