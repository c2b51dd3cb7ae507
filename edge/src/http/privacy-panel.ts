/**
 * The in-room screen's privacy panel: the device's mode, and its on-screen-display mask layout (the
 * regions learned from the tower's video, and any drawn by hand) drawn over the picture's outline on a
 * frame-shaped map, where a person checks it, removes a region or adds one, and saves. Served inside
 * the in-room page (in-room-page.ts); self-contained, so the page needs only these two pieces.
 */
export const privacyPanelHtml = `
<section class="panel" id="privacy-panel" aria-label="privacy: masked on-screen display">
  <div class="label">Privacy <span id="privacy-mode"></span></div>
  <p id="privacy-off" class="bad" style="display:none"></p>
  <canvas id="privacy-map" width="480" height="270" style="width:100%;background:#000;border-radius:8px" aria-label="mask layout over the picture"></canvas>
  <p class="label">Orange: on-screen display masked in every frame (learned or drawn). Grey: configured. Green line: the endoscope's picture. <span id="privacy-share"></span></p>
  <ul id="privacy-layout" style="list-style:none;padding:0;margin:8px 0;font-size:18px"></ul>
  <form id="privacy-add" style="display:flex;gap:6px;flex-wrap:wrap;font-size:18px" aria-label="add a masked region">
    <label>x % <input id="privacy-x" type="number" min="0" max="100" step="0.5" style="width:5em" required></label>
    <label>y % <input id="privacy-y" type="number" min="0" max="100" step="0.5" style="width:5em" required></label>
    <label>w % <input id="privacy-w" type="number" min="0.5" max="100" step="0.5" style="width:5em" required></label>
    <label>h % <input id="privacy-h" type="number" min="0.5" max="100" step="0.5" style="width:5em" required></label>
    <button type="submit">Add region</button>
  </form>
  <div class="actions"><button id="privacy-save" type="button" class="primary">Save layout</button><span id="privacy-note" class="label"></span></div>
</section>`;

export const privacyPanelScript = `
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  let saved = { mode: '', layersOff: [], configured: [], layout: [] };
  let draft = [];
  let picture = null;
  let dirty = false;
  const pct = (v) => (Math.round(v * 1000) / 10) + '%';
  function drawMap() {
    const c = $('privacy-map');
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    if (picture) {
      g.strokeStyle = '#3fb950'; g.lineWidth = 2; g.beginPath();
      picture.polygon.forEach((p, i) => (i ? g.lineTo : g.moveTo).call(g, p.x * c.width, p.y * c.height));
      g.closePath(); g.stroke();
    }
    g.fillStyle = 'rgba(160,160,160,0.6)';
    for (const b of saved.configured) g.fillRect(b.x * c.width, b.y * c.height, b.w * c.width, b.h * c.height);
    g.fillStyle = 'rgba(240,136,62,0.55)'; g.strokeStyle = '#f0883e';
    draft.forEach((b, i) => {
      g.fillRect(b.x * c.width, b.y * c.height, b.w * c.width, b.h * c.height);
      g.strokeRect(b.x * c.width, b.y * c.height, b.w * c.width, b.h * c.height);
      g.fillStyle = '#fff'; g.font = '14px sans-serif'; g.fillText(String(i + 1), b.x * c.width + 2, b.y * c.height + 14);
      g.fillStyle = 'rgba(240,136,62,0.55)';
    });
  }
  function renderList() {
    $('privacy-layout').replaceChildren(...draft.map((b, i) => {
      const li = document.createElement('li');
      li.dataset.region = String(i);
      const span = document.createElement('span');
      span.textContent = (i + 1) + '. ' + b.origin + ' at ' + pct(b.x) + ', ' + pct(b.y) + ' size ' + pct(b.w) + ' x ' + pct(b.h) + ' ';
      const remove = document.createElement('button');
      remove.type = 'button'; remove.textContent = 'Remove';
      remove.onclick = () => { draft.splice(i, 1); dirty = true; show(); };
      li.append(span, remove);
      return li;
    }));
    if (!draft.length) {
      const li = document.createElement('li');
      li.textContent = 'No region yet: the layout is learned from the tower video as it runs.';
      $('privacy-layout').append(li);
    }
  }
  function show() {
    $('privacy-mode').textContent = '(' + saved.mode + ')';
    const off = $('privacy-off');
    off.style.display = saved.layersOff.length ? '' : 'none';
    off.textContent = saved.layersOff.length ? 'PRIVACY LAYERS OFF (measurement only): ' + saved.layersOff.join(', ') : '';
    $('privacy-note').textContent = dirty ? 'Not saved yet' : '';
    renderList();
    drawMap();
  }
  async function load() {
    const r = await fetch('/api/v1/privacy');
    saved = await r.json();
    if (!dirty) draft = saved.layout.map((b) => ({ ...b }));
    show();
  }
  $('privacy-add').onsubmit = (e) => {
    e.preventDefault();
    const v = (id) => Number($(id).value) / 100;
    const b = { x: v('privacy-x'), y: v('privacy-y'), w: v('privacy-w'), h: v('privacy-h'), origin: 'manual' };
    b.w = Math.min(b.w, 1 - b.x); b.h = Math.min(b.h, 1 - b.y);
    if (b.w <= 0 || b.h <= 0) { $('privacy-note').textContent = 'A region must lie inside the frame'; return; }
    draft.push(b); dirty = true; show();
  };
  $('privacy-save').onclick = async () => {
    const by = (document.getElementById('who').textContent.match(/^Signed in: (.+)$/) || [])[1] || null;
    const r = await fetch('/api/v1/privacy/layout', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ boxes: draft, by }) });
    const body = await r.json();
    if (!r.ok) { $('privacy-note').textContent = 'Not saved: ' + (body.error || r.status); return; }
    saved = body; draft = saved.layout.map((b) => ({ ...b })); dirty = false; show();
    $('privacy-note').textContent = 'Saved: masked from the next frame on';
  };
  // The picture's outline and the share masked come with the live analysis.
  setInterval(async () => {
    try {
      const s = await (await fetch('/api/v1/realtime/analysis')).json();
      const a = s.latest;
      picture = a && a.fieldOfView ? a.fieldOfView : picture;
      $('privacy-share').textContent = a && typeof a.maskedInPicture === 'number' ? 'Picture masked now: ' + pct(a.maskedInPicture) : '';
      drawMap();
    } catch (err) {}
  }, 1000);
  load();
  setInterval(() => { if (!dirty) load(); }, 5000);
})();
</script>`;
