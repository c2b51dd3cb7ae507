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
  canvas { width: 100%; background: #3a0f0f; border-radius: 8px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 8px 16px; font-size: 22px; margin: 0; }
  dt { color: #8b949e; }
  #banner { grid-column: 1 / -1; font-size: 28px; padding: 12px 20px; border-radius: 8px; display: none; }
  #banner.show { display: block; background: #5a1e1e; }
</style>
</head>
<body>
<h1>GI Copilot <span id="source" class="label"></span></h1>
<div id="banner" role="alert"></div>
<section class="panel">
  <canvas id="view" width="512" height="288" aria-label="analysed frame with masked regions"></canvas>
  <p class="label">Grey boxes: on-screen text found and masked before anything is stored or sent.</p>
</section>
<section class="panel">
  <div class="label">Procedure</div>
  <div class="big" id="timer">--:--</div>
  <dl>
    <dt>Frames analysed</dt><dd id="frames">0</dd>
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
<script>
  const $ = (id) => document.getElementById(id);
  const view = $('view').getContext('2d');
  function fmt(s) { const m = Math.floor(s / 60); return String(m).padStart(2, '0') + ':' + String(Math.floor(s % 60)).padStart(2, '0'); }
  function draw(a) {
    const c = $('view');
    view.fillStyle = a && a.quality.inBody ? '#5c1a1a' : '#222';
    view.fillRect(0, 0, c.width, c.height);
    if (!a) return;
    view.fillStyle = 'rgba(160,160,160,0.85)';
    for (const b of a.privacyRegions) view.fillRect(b.x * c.width, b.y * c.height, b.w * c.width, b.h * c.height);
    view.strokeStyle = '#3fb950'; view.lineWidth = 3;
    for (const d of a.detections) view.strokeRect(d.box.x * c.width, d.box.y * c.height, d.box.w * c.width, d.box.h * c.height);
  }
  async function tick() {
    const res = await fetch('/api/v1/realtime/analysis');
    const s = await res.json();
    $('source').textContent = s.source.kind + ': ' + s.source.label + ' (' + s.source.state + ')';
    const banner = $('banner');
    const off = s.latest ? s.latest.modelsOff : [];
    const problems = [];
    if (s.source.state === 'no-signal') problems.push('NO SIGNAL: ' + (s.source.message || 'video source lost'));
    for (const m of off) problems.push('MODEL OFF: ' + m.id + ' - ' + m.reason);
    banner.textContent = problems.join(' | ');
    banner.className = problems.length ? 'show' : '';
    const p = s.procedure;
    if (p) {
      const end = p.endedAt ? new Date(p.endedAt) : new Date();
      $('timer').textContent = fmt((end - new Date(p.startedAt)) / 1000) + (p.endedAt ? ' (ended)' : '');
      $('frames').textContent = p.frames;
    }
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
      $('privacy').textContent = a.privacyRegions.length + ' region(s)';
      $('findings').textContent = String(a.detections.length);
      $('models').textContent = a.models.map((m) => m.id + ' ' + m.version + ' [' + m.executionProvider + ']').join(', ') || 'none';
    }
    const y = s.sync;
    $('sync').textContent = (y.connected ? 'connected' : 'offline') + ', ' + y.pendingEvents + ' pending' + (y.upload ? ', upload ' + y.upload.status + ' ' + y.upload.partsDone + '/' + y.upload.partCount : '');
    $('sync').className = y.connected ? 'ok' : 'warn';
  }
  setInterval(() => tick().catch(() => {}), 500);
  tick().catch(() => {});
</script>
</body>
</html>`;
