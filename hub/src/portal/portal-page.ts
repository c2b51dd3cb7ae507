/**
 * The hub's review portal, first page: sign in, then the procedures from every room with their
 * device, duration, analysed frames, findings and sync state. Everything is inline: no CDN, no web
 * fonts, so it works on a hospital network with no internet.
 */
export const portalPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GI Copilot - Procedures</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f5f6f8; }
  [hidden] { display: none !important; }
  body { margin: 0; }
  header { background: #17324d; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; align-items: center; }
  header h1 { font-size: 20px; margin: 0; }
  main { padding: 24px; max-width: 1200px; margin: auto; }
  form { background: #fff; padding: 24px; border-radius: 8px; max-width: 360px; display: grid; gap: 12px; }
  input, button { font-size: 16px; padding: 8px; }
  button { background: #17324d; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  table { width: 100%; border-collapse: collapse; background: #fff; }
  th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid #e3e6ea; }
  th { background: #eef1f4; font-weight: 600; }
  .state { padding: 2px 8px; border-radius: 10px; font-size: 13px; background: #e3e6ea; }
  .state.available { background: #d3f2dc; } .state.live { background: #fde7c8; } .state.corrupt { background: #f8d0d0; }
  #error { color: #a00; min-height: 1em; }
  .muted { color: #667; }
</style>
</head>
<body>
<header><h1>GI Copilot</h1><span id="who" class="muted"></span></header>
<main>
  <form id="login" hidden>
    <h2>Sign in</h2>
    <label>Username <input name="username" autocomplete="username" required value="admin"></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
    <div id="error" role="alert"></div>
  </form>
  <section id="list" hidden>
    <h2>Procedures</h2>
    <table>
      <thead><tr><th>Started</th><th>Device</th><th>Duration</th><th>Analysed frames</th><th>Findings</th><th>Text masked</th><th>Withdrawal</th><th>Started by</th><th>Recording</th><th>Sync state</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <p class="muted" id="updated"></p>
  </section>
</main>
<script>
  const login = document.getElementById('login');
  const list = document.getElementById('list');
  const rows = document.getElementById('rows');
  const error = document.getElementById('error');
  let token = sessionStorage.getItem('gic.token');
  const cell = (text) => { const td = document.createElement('td'); td.textContent = text; return td; };
  function show(signedIn) { login.hidden = signedIn; list.hidden = !signedIn; }
  async function refresh() {
    if (!token) return show(false);
    const res = await fetch('/api/v1/procedures?limit=100', { headers: { authorization: 'Bearer ' + token } });
    if (res.status === 401) { sessionStorage.removeItem('gic.token'); token = null; return show(false); }
    const body = await res.json();
    rows.replaceChildren(...body.items.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.procedureId = p.id;
      tr.append(
        cell(p.startedAt ? new Date(p.startedAt).toLocaleString() : '-'),
        cell(p.deviceName + ' (' + p.deviceId + ')'),
        cell(p.durationSeconds === null ? '-' : p.durationSeconds.toFixed(1) + ' s'),
        cell(String(p.analysedFrames)),
        cell(String(p.findings)),
        cell(String(p.privacyRegions)),
        cell(p.withdrawalSeconds === null ? '-' : Math.floor(p.withdrawalSeconds / 60) + ' min ' + Math.floor(p.withdrawalSeconds % 60) + ' s'),
        cell(p.operator ? p.operator + (p.startTrigger ? ' (' + p.startTrigger + ')' : '') : p.startTrigger || '-'),
        cell(p.recording ? p.recording.available + '/' + p.recording.segments + ' segment(s) verified, ' + (p.recording.sizeBytes / 1e6).toFixed(1) + ' MB' : '-'),
      );
      const state = document.createElement('span');
      state.className = 'state ' + p.syncState;
      state.textContent = p.syncState;
      const td = document.createElement('td'); td.append(state); tr.append(td);
      return tr;
    }));
    if (body.items.length === 0) { const tr = document.createElement('tr'); const td = cell('No procedures yet.'); td.colSpan = 10; tr.append(td); rows.append(tr); }
    document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    show(true);
  }
  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const data = Object.fromEntries(new FormData(login));
    const res = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    if (!res.ok) { error.textContent = 'Sign-in failed: ' + ((await res.json()).error || res.status); return; }
    token = (await res.json()).accessToken;
    sessionStorage.setItem('gic.token', token);
    refresh();
  });
  refresh();
  setInterval(() => { if (token) refresh().catch(() => {}); }, 3000);
</script>
</body>
</html>`;
