import { useEffect, useRef, useState } from 'preact/hooks';
import { errorOf, send } from '../api.js';
import type { Box, LatestAnalysis } from '../live-types.js';

type Region = Box & { origin: 'learned' | 'manual' };

interface PrivacySetup {
  mode: string;
  layersOff: string[];
  configured: Box[];
  layout: Region[];
}

const RELOAD_MS = 5000;
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

function drawMap(
  canvas: HTMLCanvasElement,
  saved: PrivacySetup,
  draft: Region[],
  picture: LatestAnalysis['fieldOfView'],
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  if (picture) {
    g.strokeStyle = '#3fb950';
    g.lineWidth = 2;
    g.beginPath();
    for (const [i, p] of picture.polygon.entries()) {
      if (i) g.lineTo(p.x * w, p.y * h);
      else g.moveTo(p.x * w, p.y * h);
    }
    g.closePath();
    g.stroke();
  }
  g.fillStyle = 'rgba(160,160,160,0.6)';
  for (const b of saved.configured) g.fillRect(b.x * w, b.y * h, b.w * w, b.h * h);
  g.strokeStyle = '#f0883e';
  g.font = '14px sans-serif';
  draft.forEach((b, i) => {
    g.fillStyle = 'rgba(240,136,62,0.55)';
    g.fillRect(b.x * w, b.y * h, b.w * w, b.h * h);
    g.strokeRect(b.x * w, b.y * h, b.w * w, b.h * h);
    g.fillStyle = '#fff';
    g.fillText(String(i + 1), b.x * w + 2, b.y * h + 14);
  });
}

/**
 * The device's privacy mode and its on-screen-display mask layout (regions learned from the tower's
 * video, and any drawn by hand) over the picture's outline, where a person checks it, removes a
 * region or adds one, and saves. Saved, it is masked from the next frame and sent to the hub.
 */
export function PrivacyPanel({
  latest,
  operator,
}: {
  latest: LatestAnalysis | null;
  operator: string | null;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [saved, setSaved] = useState<PrivacySetup>({ mode: '', layersOff: [], configured: [], layout: [] });
  const [draft, setDraft] = useState<Region[]>([]);
  const [dirty, setDirty] = useState(false);
  const [note, setNote] = useState('');
  const [picture, setPicture] = useState<LatestAnalysis['fieldOfView']>();
  const [form, setForm] = useState({ x: '', y: '', w: '', h: '' });
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  useEffect(() => {
    const load = async () => {
      if (dirtyRef.current) return;
      try {
        const body = (await (await fetch('/api/v1/privacy')).json()) as PrivacySetup;
        if (dirtyRef.current) return;
        setSaved(body);
        setDraft(body.layout.map((b) => ({ ...b })));
      } catch {
        // The box restarting: the next load catches up.
      }
    };
    load();
    const t = setInterval(load, RELOAD_MS);
    return () => clearInterval(t);
  }, []);
  // The picture's outline comes with the live analysis; the last one found stays drawn.
  useEffect(() => {
    if (latest?.fieldOfView) setPicture(latest.fieldOfView);
  }, [latest]);
  useEffect(() => {
    if (canvas.current) drawMap(canvas.current, saved, draft, picture);
  }, [saved, draft, picture]);

  const change = (next: Region[]) => {
    setDraft(next);
    setDirty(true);
    setNote('Not saved yet');
  };
  const add = (e: Event) => {
    e.preventDefault();
    const v = (k: keyof typeof form) => Number(form[k]) / 100;
    const x = v('x');
    const y = v('y');
    const b: Region = { x, y, w: Math.min(v('w'), 1 - x), h: Math.min(v('h'), 1 - y), origin: 'manual' };
    if (b.w <= 0 || b.h <= 0) return setNote('A region must lie inside the frame');
    change([...draft, b]);
  };
  const save = async () => {
    const res = await send('/api/v1/privacy/layout', { boxes: draft, by: operator }, 'PUT');
    if (!res.ok) return setNote(`Not saved: ${await errorOf(res)}`);
    const body = (await res.json()) as PrivacySetup;
    setSaved(body);
    setDraft(body.layout.map((b) => ({ ...b })));
    setDirty(false);
    setNote('Saved: masked from the next frame on');
  };
  const input = (k: keyof typeof form, min: string) => (
    <label>
      {`${k} % `}
      <input
        id={`privacy-${k}`}
        type="number"
        min={min}
        max="100"
        step="0.5"
        required
        value={form[k]}
        onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })}
      />
    </label>
  );
  const share = latest && typeof latest.maskedInPicture === 'number' ? latest.maskedInPicture : null;

  return (
    <section class="panel" id="privacy-panel" aria-label="privacy: masked on-screen display">
      <div class="label">
        Privacy <span id="privacy-mode">{saved.mode ? `(${saved.mode})` : ''}</span>
      </div>
      <p id="privacy-off" class="bad" style={saved.layersOff.length ? undefined : { display: 'none' }}>
        {saved.layersOff.length ? `PRIVACY LAYERS OFF (measurement only): ${saved.layersOff.join(', ')}` : ''}
      </p>
      <canvas
        ref={canvas}
        id="privacy-map"
        width={480}
        height={270}
        aria-label="mask layout over the picture"
      />
      <p class="label">
        Orange: on-screen display masked in every frame (learned or drawn). Grey: configured. Green line: the
        endoscope's picture.{' '}
        <span id="privacy-share">{share === null ? '' : `Picture masked now: ${pct(share)}`}</span>
      </p>
      <ul id="privacy-layout">
        {draft.map((b, i) => (
          <li key={i} data-region={String(i)}>
            <span>{`${i + 1}. ${b.origin} at ${pct(b.x)}, ${pct(b.y)} size ${pct(b.w)} x ${pct(b.h)} `}</span>
            <button type="button" onClick={() => change(draft.filter((_, j) => j !== i))}>
              Remove
            </button>
          </li>
        ))}
        {draft.length === 0 && <li>No region yet: the layout is learned from the tower video as it runs.</li>}
      </ul>
      <form id="privacy-add" aria-label="add a masked region" onSubmit={add}>
        {input('x', '0')}
        {input('y', '0')}
        {input('w', '0.5')}
        {input('h', '0.5')}
        <button type="submit">Add region</button>
      </form>
      <div class="actions">
        <button id="privacy-save" type="button" class="primary" onClick={save}>
          Save layout
        </button>
        <span id="privacy-note" class="label">
          {note}
        </span>
      </div>
    </section>
  );
}
