import { useCallback, useEffect, useState } from 'preact/hooks';
import { PROCEDURE_STATUSES, type ProcedurePage } from '../../../src/procedures/procedure-view-types.js';
import { api, describeError, type Session } from '../lib/api.js';
import { recordingLine, startedBy, withdrawal } from '../lib/format.js';
import { procedureHref } from '../lib/route.js';

const REFRESH_MS = 3000;
const PAGE_SIZE = 25;

type Filters = Record<'device' | 'room' | 'from' | 'to' | 'status' | 'hasFindings' | 'q', string>;
const NO_FILTERS: Filters = { device: '', room: '', from: '', to: '', status: '', hasFindings: '', q: '' };

/** A date picked here is a day where the reviewer is (the hub takes a bare date as a UTC day). */
function localDay(date: string, plusDays: number): string {
  const d = new Date(`${date}T00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [k, v] of Object.entries(filters)) {
    if (!v.trim()) continue;
    // `to` is inclusive: up to the start of the next day.
    params.set(k, k === 'from' ? localDay(v, 0) : k === 'to' ? localDay(v, 1) : v.trim());
  }
  if (cursor) params.set('cursor', cursor);
  return `/api/v1/procedures?${params}`;
}

/** Where a procedure belongs, when its site or room is known: `, North / Endo 1`. */
const placeOf = (p: { site?: string | null; room?: string | null }) =>
  p.site || p.room ? `, ${[p.site, p.room].filter(Boolean).join(' / ')}` : '';

/**
 * Procedures from every room of the person's sites, newest first: filters (device, room, dates,
 * status, findings, text in the notes and chat), pages by cursor, refreshed every few seconds; each
 * row opens the procedure.
 */
export function ProcedureList({ session, active }: { session: Session; active: boolean }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Cursors of the pages before this one (the first page has none).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<ProcedurePage | null>(null);
  const [error, setError] = useState('');
  const [updated, setUpdated] = useState('');
  const cursor = cursors[cursors.length - 1] ?? null;
  // The enrolled devices, offered as the device and room filters' suggestions.
  const [devices, setDevices] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    api<{ items: { id: string; name: string }[] }>(session, '/api/v1/devices')
      .then((body) => setDevices(body.items))
      .catch(() => setDevices([]));
  }, [session]);

  const load = useCallback(async () => {
    try {
      setPage(await api<ProcedurePage>(session, query(filters, cursor)));
      setError('');
      setUpdated(`Updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      setError(describeError(err));
    }
  }, [session, filters, cursor]);
  useEffect(() => {
    if (!active) return;
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load, active]);

  const apply = (e: Event) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([null]);
  };
  const reset = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
    setCursors([null]);
  };
  const field = (k: keyof Filters) => ({
    name: k,
    value: draft[k],
    onInput: (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value }),
  });
  const first = (cursors.length - 1) * PAGE_SIZE;
  const items = page?.items ?? [];

  return (
    <>
      <h2>Procedures</h2>
      <form id="filters" class="filters" onSubmit={apply} aria-label="filter procedures">
        <label>
          Device <input {...field('device')} placeholder="edge-…" maxLength={200} list="device-ids" />
        </label>
        <label>
          Room <input {...field('room')} maxLength={200} list="room-names" />
        </label>
        <datalist id="device-ids">
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </datalist>
        <datalist id="room-names">
          {devices.map((d) => (
            <option key={d.id} value={d.name} />
          ))}
        </datalist>
        <label>
          From <input type="date" {...field('from')} />
        </label>
        <label>
          To <input type="date" {...field('to')} />
        </label>
        <label>
          Status{' '}
          <select {...field('status')}>
            <option value="">any</option>
            {PROCEDURE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Findings{' '}
          <select {...field('hasFindings')}>
            <option value="">any</option>
            <option value="true">with findings</option>
            <option value="false">without</option>
          </select>
        </label>
        <label>
          Text <input type="search" {...field('q')} placeholder="notes, chat, operator" maxLength={200} />
        </label>
        <button type="submit" id="apply-filters">
          Search
        </button>
        <button type="button" class="secondary" onClick={reset}>
          Clear
        </button>
      </form>
      {error && (
        <p id="list-error" class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Started</th>
            <th>Device</th>
            <th>Duration</th>
            <th>Analysed frames</th>
            <th>Findings</th>
            <th>Text masked</th>
            <th>Withdrawal</th>
            <th>Started by</th>
            <th>Recording</th>
            <th>Sync state</th>
          </tr>
        </thead>
        <tbody id="rows">
          {items.map((p) => (
            <tr key={p.id} data-procedure-id={p.id}>
              <td>
                <a href={procedureHref(p.id)}>
                  {p.startedAt ? new Date(p.startedAt).toLocaleString() : 'open'}
                </a>
              </td>
              <td>{`${p.deviceName} (${p.deviceId})${placeOf(p)}`}</td>
              <td>{p.durationSeconds === null ? '-' : `${p.durationSeconds.toFixed(1)} s`}</td>
              <td>{String(p.analysedFrames)}</td>
              <td>{String(p.findings)}</td>
              <td>{String(p.privacyRegions)}</td>
              <td>{withdrawal(p.withdrawalSeconds)}</td>
              <td>{startedBy(p)}</td>
              <td>{recordingLine(p)}</td>
              <td>
                <span class={`state ${p.syncState}`}>{p.syncState}</span>
              </td>
            </tr>
          ))}
          {page && items.length === 0 && (
            <tr>
              <td colSpan={10}>
                {Object.values(filters).some((v) => v)
                  ? 'No procedure matches these filters.'
                  : 'No procedures yet.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div class="pager">
        <button
          type="button"
          id="newer"
          class="secondary"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </button>
        <span id="page-info">
          {page ? `${items.length ? first + 1 : 0}-${first + items.length} of ${page.total}` : ''}
        </span>
        <button
          type="button"
          id="older"
          class="secondary"
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}
        >
          Older
        </button>
      </div>
      <p class="muted" id="updated">
        {updated}
      </p>
    </>
  );
}
