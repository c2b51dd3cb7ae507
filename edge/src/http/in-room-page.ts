import { privacyPanelHtml, privacyPanelScript } from './privacy-panel.js';

/**
 * The in-room screen for a second monitor: large type readable across the room, the live analysis
 * (quality, masked text regions drawn on a frame-shaped canvas, models on and off), procedure timer
 * and sync state. Inline only: the room may have no network at all.
 */
export const inRoomPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GI Copilot - In-room</title>
<style>
  :root { font-family: system-ui, sans-serif; background: #0d1117; color: #e6edf3; }
  body { margin: 0; padding: 24px; display: grid; grid-template-columns: 2fr 1fr; gap: 24px; }
  h1 { font-size: 28px; margin: 0 0 12px; grid-column: 1 / -1; }
  .panel { background: #161b22; border-radius: 12px; padding: 20px; }
  .big { font-size: 44px; font-weight: 700; }
  .label { font-size: 16px; color: #8b949e; text-transform: uppercase; letter-spacing: .05em; }
  .ok { color: #3fb950; } .warn { color: #d29922; } .bad { color: #f85149; }
  .view { position: relative; background: #000; border-radius: 8px; overflow: hidden; aspect-ratio: 16 / 9; }
  .view img, .view canvas { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
  .view.ended img { filter: brightness(.6); }
  #ended { position: absolute; left: 0; right: 0; bottom: 0; padding: 16px 20px; background: rgba(13,17,23,.85); font-size: 22px; }
  #ended[hidden] { display: none; }
  #ended strong { display: block; font-size: 30px; color: #d29922; margin-bottom: 4px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 8px 16px; font-size: 22px; margin: 0; }
  dt { color: #8b949e; }
  #banner { grid-column: 1 / -1; font-size: 28px; padding: 12px 20px; border-radius: 8px; display: none; }
  #banner.show { display: block; background: #5a1e1e; }
  #alerts { list-style: none; margin: 12px 0 0; padding: 0; display: grid; gap: 12px; }
  #alerts li { background: #3b2a05; border: 3px solid #d29922; border-radius: 10px; padding: 12px 16px; font-size: 24px; display: flex; align-items: center; gap: 16px; }
  #alerts li.acknowledged { border-color: #3fb950; background: #0f2a17; }
  #alerts li span { flex: 1; }
  #alerts button { font-size: 22px; padding: 14px 20px; border-radius: 8px; border: 0; cursor: pointer; }
  #alerts button.ack { background: #3fb950; color: #0d1117; } #alerts button.dismiss { background: #30363d; color: #e6edf3; }
  .actions { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px; }
  .actions button, #signin button, #settings button { font-size: 22px; padding: 14px 20px; border-radius: 8px; border: 0; cursor: pointer; background: #30363d; color: #e6edf3; }
  .actions button.primary { background: #1f6feb; }
  button:disabled { opacity: .4; cursor: default; }
  #signin { display: flex; gap: 10px; align-items: center; margin-bottom: 16px; font-size: 20px; }
  #signin input { font-size: 20px; padding: 10px; border-radius: 8px; border: 1px solid #30363d; background: #0d1117; color: #e6edf3; width: 12em; }
  #settings { display: none; margin: 0 0 16px; font-size: 18px; }
  #settings.show { display: grid; grid-template-columns: auto 1fr; gap: 8px 12px; align-items: center; }
  #settings input { font-size: 18px; padding: 6px; width: 8em; }
  #findings-list { list-style: none; padding: 0; margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 12px; }
  #findings-list li { background: #0d1117; border-radius: 8px; padding: 8px; font-size: 16px; width: 180px; }
  #findings-list img { width: 100%; border-radius: 4px; display: block; margin-bottom: 4px; }
</style>
</head>
<body>
<h1>GI Copilot <span id="source" class="label"></span></h1>
<div id="banner" role="alert"></div>
<section class="panel">
  <div class="view" id="view-box">
    <img id="preview" src="/api/v1/realtime/preview.mjpeg" alt="live video">
    <canvas id="view" width="512" height="288" aria-label="overlay: masked regions and findings"></canvas>
    <div id="ended" role="status" hidden><strong>SOURCE ENDED</strong><span id="ended-what"></span><br><span id="ended-recorded"></span></div>
  </div>
  <p class="label">Grey boxes: on-screen text found and masked before anything is stored or sent. Green: findings.</p>
  <div class="label">Alerts</div>
  <ul id="alerts" aria-live="assertive"></ul>
  <div class="label" style="margin-top:16px">Findings this procedure</div>
  <ul id="findings-list"></ul>
</section>
<section class="panel">
  <form id="signin" autocomplete="off">
    <span id="who">Not signed in</span>
    <input id="name" placeholder="Your name" maxlength="100" aria-label="endoscopist name">
    <button id="signin-button" type="submit">Sign in</button>
    <button id="signout" type="button">Sign out</button>
    <button id="settings-button" type="button">Alert settings</button>
  </form>
  <form id="settings" aria-label="your alert settings">
    <label for="sensitivity">Sensitivity (min score)</label><input id="sensitivity" type="number" min="0" max="1" step="0.05">
    <label for="min-duration">Seen for at least (ms)</label><input id="min-duration" type="number" min="0" max="10000" step="50">
    <label for="cooldown">Quiet after (ms)</label><input id="cooldown" type="number" min="0" max="120000" step="500">
    <span id="settings-note" class="label"></span><button id="settings-save" type="submit">Save</button>
  </form>
  <div class="label">Procedure <span id="procedure-state"></span></div>
  <div class="big" id="timer">--:--</div>
  <div class="label">Withdrawal</div>
  <div class="big" id="withdrawal">--:--</div>
  <div class="actions">
    <button id="start" type="button" class="primary">Start procedure</button>
    <button id="end" type="button">End procedure</button>
    <button id="cecum" type="button">Cecum reached</button>
  </div>
  <dl>
    <dt>Frames analysed</dt><dd id="frames">0</dd>
    <dt>In procedure</dt><dd id="procedure-frames">-</dd>
    <dt>Analysis rate</dt><dd id="fps">-</dd>
    <dt>Latency</dt><dd id="latency">-</dd>
    <dt>Quality</dt><dd id="quality">-</dd>
    <dt>View</dt><dd id="inbody">-</dd>
    <dt>Text masked</dt><dd id="privacy">-</dd>
    <dt>Findings</dt><dd id="findings">-</dd>
    <dt>Models</dt><dd id="models">-</dd>
    <dt>Hub sync</dt><dd id="sync">-</dd>
  </dl>
</section>
${privacyPanelHtml}
<script>
  const $ = (id) => document.getElementById(id);
  const view = $('view').getContext('2d');
  function fmt(s) { const m = Math.floor(s / 60); return String(m).padStart(2, '0') + ':' + String(Math.floor(s % 60)).padStart(2, '0'); }
  function draw(a) {
    const c = $('view');
    view.clearRect(0, 0, c.width, c.height);
    if (!a) return;
    view.fillStyle = 'rgba(160,160,160,0.85)';
    // Regions the recogniser found not to be text (highlights) are not masked: not drawn either.
    for (const b of a.privacyRegions) if (b.recognised !== false) view.fillRect(b.x * c.width, b.y * c.height, b.w * c.width, b.h * c.height);
    view.strokeStyle = '#3fb950'; view.lineWidth = 3;
    for (const d of a.detections) view.strokeRect(d.box.x * c.width, d.box.y * c.height, d.box.w * c.width, d.box.h * c.height);
  }
  // Who acts from this screen: the signed-in endoscopist, else the screen itself.
  let operator = null;
  const actor = () => operator || 'in-room screen';
  const post = (url, body, method) => fetch(url, { method: method || 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  async function act(id, verb) { await post('/api/v1/alerts/' + id + '/' + verb, { by: actor() }); }
  function renderAlerts(alerts) {
    const list = $('alerts');
    list.replaceChildren(...alerts.map((a) => {
      const li = document.createElement('li');
      li.className = a.state;
      li.dataset.alertId = a.id;
      const text = document.createElement('span');
      text.textContent = a.label.toUpperCase() + ' ' + Math.round(a.bestScore * 100) + '%' + (a.state === 'acknowledged' ? ' - acknowledged by ' + a.acknowledgedBy : '');
      li.append(text);
      if (a.state === 'active') {
        const ack = document.createElement('button'); ack.className = 'ack'; ack.textContent = 'Acknowledge'; ack.onclick = () => act(a.id, 'acknowledge');
        li.append(ack);
      }
      const dismiss = document.createElement('button'); dismiss.className = 'dismiss'; dismiss.textContent = 'Dismiss'; dismiss.onclick = () => act(a.id, 'dismiss');
      li.append(dismiss);
      return li;
    }));
  }
  function render(s) {
    renderAlerts(s.alerts || []);
    // A live source whose frames are not being analysed is never shown as live.
    const stalled = Boolean(s.analysis && s.analysis.state === 'stalled');
    $('source').textContent = s.source.kind + ': ' + s.source.label + ' (' + (stalled ? 'analysis stalled' : s.source.state) + ')';
    const banner = $('banner');
    const off = s.latest ? s.latest.modelsOff : [];
    const problems = [];
    if (s.source.state === 'no-signal') problems.push('NO SIGNAL: ' + (s.source.message || 'video source lost'));
    if (stalled) problems.push('ANALYSIS STALLED: ' + s.analysis.message + ' (restart ' + s.analysis.restarts + ')');
    for (const m of off) problems.push('MODEL OFF: ' + m.id + ' - ' + m.reason);
    if (s.disk && s.disk.warning) problems.push('DISK LOW: ' + s.disk.warning);
    if (s.recorder && s.recorder.error) problems.push('RECORDING FAILED: ' + s.recorder.error);
    banner.textContent = problems.join(' | ');
    banner.className = problems.length ? 'show' : '';
    if (s.operator !== operator) { operator = s.operator; renderOperator(); }
    const p = s.procedure;
    const open = Boolean(p && !p.endedAt);
    const ended = s.source.state === 'ended';
    renderEnded(s, ended);
    $('start').disabled = open || ended;
    $('start').title = ended ? 'No video: the source has ended' : '';
    $('end').disabled = !open;
    $('cecum').disabled = !open || Boolean(p && p.cecumReachedAt);
    $('procedure-state').textContent = open ? '(' + ({ auto: 'started by itself', finding: 'started by a finding', operator: 'started by ' + (p.operator || 'the screen') })[p.trigger] + ')'
      : s.procedurePending ? '(starting: scope in the body)' : p ? '(ended)' : '(none yet)';
    if (p) {
      const end = p.endedAt ? new Date(p.endedAt) : new Date();
      $('timer').textContent = fmt((end - new Date(p.startedAt)) / 1000) + (p.endedAt ? ' (ended)' : '');
      $('procedure-frames').textContent = p.frames;
      $('withdrawal').textContent = p.cecumReachedAt ? fmt((end - new Date(p.cecumReachedAt)) / 1000) : '--:--';
      if (p.id !== findingsFor) { findingsFor = p.id; $('findings-list').replaceChildren(); }
    }
    $('frames').textContent = s.framesAnalysed;
    renderFindings(s.findings || []);
    $('fps').textContent = s.analysisFps + ' fps';
    const a = s.latest;
    draw(a);
    if (a) {
      $('latency').textContent = a.latencyMs.toFixed(0) + ' ms';
      const q = a.quality;
      $('quality').innerHTML = '';
      const span = document.createElement('span');
      span.className = q.blurred || q.exposure !== 'ok' ? 'warn' : 'ok';
      span.textContent = (q.blurred ? 'blurred' : 'sharp') + ', exposure ' + q.exposure;
      $('quality').append(span);
      $('inbody').textContent = q.inBody ? 'in body' : 'outside body';
      $('privacy').textContent = a.privacyRegions.filter((r) => r.recognised !== false).length + ' region(s)';
      $('findings').textContent = String(a.detections.length);
      $('models').textContent = a.models.map((m) => m.id + ' ' + m.version + ' [' + m.executionProvider + ']').join(', ') || 'none';
    }
    const y = s.sync;
    $('sync').textContent = (y.connected ? 'connected' : 'offline') + ', ' + y.pendingEvents + ' pending' + (y.upload ? ', upload ' + y.upload.status + ' ' + y.upload.partsDone + '/' + y.upload.partCount : '');
    $('sync').className = y.connected ? 'ok' : 'warn';
  }
  // A source that has ended (a file played to its end): its last frame stays, with what was recorded.
  let showingLast = false;
  const RECORDED = { none: 'no video recorded', recording: 'being written', sealed: 'sealed, waiting to upload', uploading: 'uploading to the hub', verified: 'verified at the hub', failed: 'FAILED (see the box log)' };
  const size = (bytes) => bytes < 1e6 ? Math.ceil(bytes / 1e3) + ' kB' : (bytes / 1e6).toFixed(1) + ' MB';
  function renderEnded(s, ended) {
    $('view-box').classList.toggle('ended', ended);
    $('ended').hidden = !ended;
    if (!ended) { showingLast = false; return; }
    if (!showingLast) { showingLast = true; $('preview').src = '/api/v1/realtime/preview.jpg?' + Date.now(); }
    $('ended-what').textContent = s.source.kind + ' ' + s.source.label + ' has ended: nothing more is analysed or recorded. ' + s.framesAnalysed + ' frames analysed.';
    const p = s.procedure;
    const r = s.recorded;
    $('ended-recorded').textContent = !p ? 'No procedure was recorded.'
      : 'Procedure ' + fmt((new Date(p.endedAt || Date.now()) - new Date(p.startedAt)) / 1000) + ', ' + p.frames + ' frames' +
        (r ? '; video: ' + r.segments + ' segment(s), ' + size(r.bytes) + ', ' + RECORDED[r.state] : '') + '.';
  }
  $('preview').onerror = () => { if (showingLast) $('preview').style.visibility = 'hidden'; };
  $('cecum').onclick = () => post('/api/v1/procedures/current/landmarks', { landmark: 'cecum', by: actor() });
  $('start').onclick = () => post('/api/v1/procedures', operator ? { by: operator } : {});
  $('end').onclick = () => post('/api/v1/procedures/current/end', { by: actor() });
  // Findings: one card per alert of this procedure, with its masked thumbnail.
  let findingsFor = null;
  const shownFindings = new Set();
  function renderFindings(findings) {
    const list = $('findings-list');
    for (const f of findings) {
      if (shownFindings.has(f.id)) continue;
      shownFindings.add(f.id);
      const li = document.createElement('li');
      li.dataset.alertId = f.id;
      const img = document.createElement('img');
      img.alt = f.label + ' thumbnail';
      img.src = '/api/v1/alerts/' + f.id + '/thumbnail.jpg';
      img.onerror = () => img.remove();
      const caption = document.createElement('div');
      caption.textContent = f.label + ' ' + Math.round(f.bestScore * 100) + '% at ' + new Date(f.raisedAt).toLocaleTimeString();
      li.append(img, caption);
      list.prepend(li);
    }
  }
  // Sign-in: the endoscopist's own alert settings apply while they are signed in.
  function renderOperator() {
    $('who').textContent = operator ? 'Signed in: ' + operator : 'Not signed in (room settings)';
    $('name').style.display = operator ? 'none' : '';
    $('signin-button').style.display = operator ? 'none' : '';
    $('signout').style.display = operator ? '' : 'none';
    $('settings-button').style.display = operator ? '' : 'none';
    if (!operator) $('settings').className = '';
  }
  $('signin').onsubmit = (e) => { e.preventDefault(); const name = $('name').value.trim(); if (name) post('/api/v1/operators/current', { name }, 'PUT').then(() => { operator = name; renderOperator(); }); };
  $('signout').onclick = () => post('/api/v1/operators/current', { name: null }, 'PUT').then(() => { operator = null; renderOperator(); });
  $('settings-button').onclick = async () => {
    const panel = $('settings');
    if (panel.className === 'show') { panel.className = ''; return; }
    const r = await fetch('/api/v1/operators/' + encodeURIComponent(operator) + '/alert-settings');
    const a = await r.json();
    $('sensitivity').value = a.sensitivity; $('min-duration').value = a.minDurationMs; $('cooldown').value = a.cooldownMs;
    $('settings-note').textContent = '';
    panel.className = 'show';
  };
  $('settings').onsubmit = async (e) => {
    e.preventDefault();
    const r = await post('/api/v1/operators/' + encodeURIComponent(operator) + '/alert-settings', {
      sensitivity: Number($('sensitivity').value), minDurationMs: Number($('min-duration').value), cooldownMs: Number($('cooldown').value),
    }, 'PUT');
    $('settings-note').textContent = r.ok ? 'Saved: alerts follow these now' : 'Not saved: ' + ((await r.json()).error || r.status);
  };
  renderOperator();
  // Live updates by WebSocket; while it is down, poll, and keep trying to reconnect.
  let socket = null;
  function connect() {
    socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/realtime/ws');
    socket.onmessage = (e) => { try { render(JSON.parse(e.data)); } catch (err) {} };
    socket.onclose = () => { socket = null; setTimeout(connect, 1000); };
  }
  connect();
  setInterval(() => {
    if (socket && socket.readyState === 1) return;
    fetch('/api/v1/realtime/analysis').then((r) => r.json()).then(render).catch(() => {});
  }, 1000);
  // The MJPEG stream ends when the source is lost; reload it when video is back.
  let lastState = '';
  setInterval(() => {
    const state = $('source').textContent;
    if (state !== lastState && /(live)$/.test(state)) $('preview').src = '/api/v1/realtime/preview.mjpeg?' + Date.now();
    lastState = state;
  }, 1000);
</script>
${privacyPanelScript}
</body>
</html>`;
