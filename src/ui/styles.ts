/** The dashboard's stylesheet, inlined under the page's CSP nonce (no external fonts or sheets). */
export const styles = `
:root {
  --bg: #f5f6f8;
  --panel: #ffffff;
  --panel-2: #fafbfc;
  --border: #e4e7ec;
  --border-strong: #d0d5dd;
  --text: #101828;
  --text-2: #344054;
  --muted: #667085;
  --faint: #98a2b3;
  --accent: #4f46e5;
  --accent-hover: #4338ca;
  --accent-soft: #eef2ff;
  --green: #067647; --green-bg: #ecfdf3; --green-bd: #abefc6; --green-dot: #17b26a;
  --amber: #b54708; --amber-bg: #fffaeb; --amber-bd: #fedf89; --amber-dot: #f79009;
  --red: #b42318; --red-bg: #fef3f2; --red-bd: #fecdca; --red-dot: #f04438;
  --blue: #175cd3; --blue-bg: #eff8ff; --blue-bd: #b2ddff; --blue-dot: #2e90fa;
  --gray: #475467; --gray-bg: #f2f4f7; --gray-bd: #e4e7ec; --gray-dot: #98a2b3;
  --purple: #6941c6; --purple-bg: #f9f5ff; --purple-bd: #e9d7fe; --purple-dot: #9e77ed;
  --radius: 12px;
  --radius-sm: 8px;
  --shadow-sm: 0 1px 2px rgba(16, 24, 40, 0.05);
  --shadow: 0 1px 3px rgba(16, 24, 40, 0.08), 0 1px 2px rgba(16, 24, 40, 0.04);
  --shadow-lg: 0 20px 40px -8px rgba(16, 24, 40, 0.18), 0 4px 8px -2px rgba(16, 24, 40, 0.06);
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body {
  font-family: var(--sans);
  font-size: 14px;
  line-height: 1.5;
  color: var(--text);
  background: var(--bg);
  -webkit-font-smoothing: antialiased;
}
[hidden] { display: none !important; }
button, input, select, textarea { font: inherit; color: inherit; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3, h4 { margin: 0; line-height: 1.25; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; border-radius: 4px; }

/* ---------- buttons & inputs ---------- */
.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  height: 34px; padding: 0 12px;
  border: 1px solid var(--border-strong); border-radius: var(--radius-sm);
  background: var(--panel); color: var(--text-2);
  font-weight: 550; font-size: 13px; white-space: nowrap;
  cursor: pointer; box-shadow: var(--shadow-sm);
  transition: background 0.12s, border-color 0.12s, color 0.12s;
}
.btn:hover { background: var(--panel-2); border-color: #98a2b3; color: var(--text); }
.btn:disabled { opacity: 0.55; cursor: default; }
.btn svg { width: 15px; height: 15px; flex: none; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
.btn.danger { color: var(--red); border-color: var(--red-bd); }
.btn.danger:hover { background: var(--red-bg); }
.btn.success { color: var(--green); border-color: var(--green-bd); background: var(--green-bg); }
.btn.success:hover { border-color: var(--green); }
.btn.ghost { border-color: transparent; background: transparent; box-shadow: none; }
.btn.ghost:hover { background: var(--gray-bg); }
.btn.sm { height: 28px; padding: 0 10px; font-size: 12.5px; }
.btn.icon { width: 34px; padding: 0; }
.btn.busy svg { animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }

.input, .select {
  height: 34px; padding: 0 10px; min-width: 0;
  border: 1px solid var(--border-strong); border-radius: var(--radius-sm);
  background: var(--panel); box-shadow: var(--shadow-sm);
}
.select { padding-right: 28px; }
.input:focus, .select:focus { outline: none; border-color: var(--accent); box-shadow: 0 0 0 3px rgba(79, 70, 229, 0.15); }
.input.invalid { border-color: var(--red); box-shadow: 0 0 0 3px rgba(240, 68, 56, 0.12); }
.input.mono { font-size: 12.5px; }
.field { display: flex; flex-direction: column; gap: 5px; min-width: 0; }
.field > span { font-size: 12.5px; font-weight: 600; color: var(--text-2); }
.field > small { color: var(--muted); font-size: 12px; }
.field > .field-error { color: var(--red); font-size: 12px; }

/* ---------- sign-in ---------- */
.login {
  min-height: 100vh; display: grid; place-items: center; padding: 24px;
  background:
    radial-gradient(1200px 500px at 50% -10%, #e0e7ff 0%, rgba(224, 231, 255, 0) 70%),
    var(--bg);
}
.login-card {
  width: 100%; max-width: 420px;
  background: var(--panel); border: 1px solid var(--border); border-radius: 16px;
  box-shadow: var(--shadow-lg); padding: 32px;
}
.login-card .brand { margin-bottom: 22px; }
.login-card h1 { font-size: 20px; margin-bottom: 6px; }
.login-card p { color: var(--muted); margin: 0 0 20px; }
.login-card form { display: flex; flex-direction: column; gap: 14px; }
.login-card .btn { height: 40px; }
.login-card .note { font-size: 12.5px; color: var(--muted); margin: 18px 0 0; display: flex; gap: 8px; }
.login-card .note svg { width: 16px; height: 16px; flex: none; margin-top: 1px; color: var(--faint); }
.login-error {
  padding: 10px 12px; border-radius: var(--radius-sm);
  background: var(--red-bg); border: 1px solid var(--red-bd); color: var(--red); font-size: 13px;
}

/* ---------- shell ---------- */
.brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 16px; letter-spacing: -0.01em; }
.brand .logo {
  width: 32px; height: 32px; border-radius: 9px; display: grid; place-items: center;
  background: linear-gradient(135deg, #6366f1, #4338ca); color: #fff;
  box-shadow: 0 2px 6px rgba(79, 70, 229, 0.35);
}
.brand .logo svg { width: 18px; height: 18px; }
.brand small { display: block; font-weight: 500; font-size: 12px; color: var(--muted); letter-spacing: 0; }

.topbar {
  position: sticky; top: 0; z-index: 20;
  display: flex; align-items: center; gap: 16px;
  height: 60px; padding: 0 20px;
  background: rgba(255, 255, 255, 0.92); backdrop-filter: saturate(180%) blur(8px);
  border-bottom: 1px solid var(--border);
}
.topbar .spacer { flex: 1; }
.topbar .actions { display: flex; align-items: center; gap: 8px; }

.health {
  display: inline-flex; align-items: center; gap: 10px;
  height: 34px; padding: 0 12px 0 10px;
  border: 1px solid var(--gray-bd); border-radius: 999px; background: var(--gray-bg);
  color: var(--gray); font-size: 12.5px; cursor: pointer;
}
.health .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--gray-dot); flex: none; }
.health b { font-weight: 650; }
.health .health-detail { color: inherit; opacity: 0.85; }
.health.green { background: var(--green-bg); border-color: var(--green-bd); color: var(--green); }
.health.green .dot { background: var(--green-dot); box-shadow: 0 0 0 3px rgba(23, 178, 106, 0.18); }
.health.amber { background: var(--amber-bg); border-color: var(--amber-bd); color: var(--amber); }
.health.amber .dot { background: var(--amber-dot); box-shadow: 0 0 0 3px rgba(247, 144, 9, 0.2); }
.health.red { background: var(--red-bg); border-color: var(--red-bd); color: var(--red); }
.health.red .dot { background: var(--red-dot); box-shadow: 0 0 0 3px rgba(240, 68, 56, 0.2); animation: pulse 1.6s ease-in-out infinite; }
@keyframes pulse { 50% { box-shadow: 0 0 0 6px rgba(240, 68, 56, 0.05); } }

.layout { display: grid; grid-template-columns: 212px minmax(0, 1fr); min-height: calc(100vh - 60px); }
.sidenav {
  position: sticky; top: 60px; align-self: start; height: calc(100vh - 60px);
  padding: 18px 12px; border-right: 1px solid var(--border); background: var(--panel);
  display: flex; flex-direction: column; gap: 2px; overflow-y: auto;
}
.sidenav .nav-label { font-size: 11px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.06em; color: var(--faint); padding: 6px 10px; }
.sidenav a + .nav-label { margin-top: 12px; }
.sidenav a {
  display: flex; align-items: center; gap: 10px;
  padding: 8px 10px; border-radius: var(--radius-sm);
  color: var(--text-2); font-weight: 550; text-decoration: none;
}
.sidenav a svg { width: 17px; height: 17px; color: var(--faint); flex: none; }
.sidenav a:hover { background: var(--gray-bg); color: var(--text); }
.sidenav a[aria-current="page"] { background: var(--accent-soft); color: var(--accent); }
.sidenav a[aria-current="page"] svg { color: var(--accent); }
.sidenav .nav-foot { margin-top: auto; padding: 10px; font-size: 12px; color: var(--faint); }

main { padding: 24px 28px 48px; min-width: 0; }
.view-head { display: flex; align-items: flex-end; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 16px; }
.view-head h2 { font-size: 22px; letter-spacing: -0.015em; }
.view-head p { margin: 4px 0 0; color: var(--muted); }
.toolbar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.toolbar .input { width: 180px; }
.toolbar .select { max-width: 240px; }

.card { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 14px 18px; border-bottom: 1px solid var(--border); }
.card-head h3 { font-size: 15px; }
.card-body { padding: 18px; }

/* ---------- tables ---------- */
.table-wrap { overflow-x: auto; border-radius: var(--radius) var(--radius) 0 0; }
table.list { width: 100%; border-collapse: collapse; }
table.list th {
  position: sticky; top: 0;
  text-align: left; font-size: 11.5px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--muted); background: var(--panel-2);
  padding: 10px 14px; border-bottom: 1px solid var(--border); white-space: nowrap;
}
table.list td { padding: 11px 14px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
table.list tbody tr:last-child td { border-bottom: 0; }
table.list tbody tr.row { cursor: pointer; transition: background 0.08s; }
table.list tbody tr.row:hover { background: #f8f9ff; }
table.list tbody tr.row:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
table.list td.num { font-variant-numeric: tabular-nums; }
table.list td.state { padding: 36px 16px; text-align: center; color: var(--muted); }
table.list td.state .state-title { color: var(--text-2); font-weight: 600; margin-bottom: 4px; }
table.list td.state.error { color: var(--red); }
.list-foot {
  display: flex; align-items: center; justify-content: space-between; gap: 12px;
  padding: 10px 14px; border-top: 1px solid var(--border); background: var(--panel-2);
  border-radius: 0 0 var(--radius) var(--radius); color: var(--muted); font-size: 12.5px;
}
.strong { font-weight: 600; color: var(--text); }
.stack { display: flex; flex-direction: column; align-items: flex-start; gap: 1px; min-width: 0; }
.sub { color: var(--muted); font-size: 12px; }
.id { font-family: var(--mono); font-size: 12px; color: var(--muted); white-space: nowrap; }
.truncate { display: inline-block; max-width: 240px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.nowrap { white-space: nowrap; }
.dash { color: var(--faint); }
.time .rel { color: var(--text-2); white-space: nowrap; }
.time .abs { display: block; color: var(--faint); font-size: 11.5px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.inline-code {
  font-family: var(--mono); font-size: 12px; background: var(--gray-bg); border: 1px solid var(--border);
  border-radius: 5px; padding: 1px 6px; color: var(--text-2);
}
.err-text { color: var(--red); font-size: 12.5px; }

/* ---------- badges & chips ---------- */
.badge {
  display: inline-flex; align-items: center; gap: 6px;
  height: 22px; padding: 0 9px; border-radius: 999px;
  font-size: 12px; font-weight: 600; white-space: nowrap;
  border: 1px solid var(--gray-bd); background: var(--gray-bg); color: var(--gray);
}
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: var(--gray-dot); }
.badge.plain::before { display: none; }
.badge.green { background: var(--green-bg); border-color: var(--green-bd); color: var(--green); }
.badge.green::before { background: var(--green-dot); }
.badge.amber { background: var(--amber-bg); border-color: var(--amber-bd); color: var(--amber); }
.badge.amber::before { background: var(--amber-dot); }
.badge.red { background: var(--red-bg); border-color: var(--red-bd); color: var(--red); }
.badge.red::before { background: var(--red-dot); }
.badge.blue { background: var(--blue-bg); border-color: var(--blue-bd); color: var(--blue); }
.badge.blue::before { background: var(--blue-dot); }
.badge.purple { background: var(--purple-bg); border-color: var(--purple-bd); color: var(--purple); }
.badge.purple::before { background: var(--purple-dot); }
.badge.pulse::before { animation: blink 1.2s ease-in-out infinite; }
@keyframes blink { 50% { opacity: 0.25; } }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip {
  display: inline-flex; align-items: center; height: 22px; padding: 0 8px; border-radius: 6px;
  background: var(--gray-bg); border: 1px solid var(--border); color: var(--text-2);
  font-family: var(--mono); font-size: 11.5px; white-space: nowrap; max-width: 240px; overflow: hidden; text-overflow: ellipsis;
}
.chip.more { font-family: var(--sans); color: var(--muted); }
.code-status { font-family: var(--mono); font-weight: 650; font-size: 12px; }

/* ---------- drawer ---------- */
.backdrop { position: fixed; inset: 0; z-index: 40; background: rgba(16, 24, 40, 0.28); animation: fade 0.15s ease-out; }
.drawer {
  position: fixed; top: 0; right: 0; bottom: 0; z-index: 50;
  width: min(760px, 100vw); display: flex; flex-direction: column;
  background: var(--bg); box-shadow: var(--shadow-lg); border-left: 1px solid var(--border);
  animation: slide 0.18s ease-out;
}
.drawer:focus { outline: none; }
@keyframes slide { from { transform: translateX(24px); opacity: 0; } }
@keyframes fade { from { opacity: 0; } }
.drawer-head {
  display: flex; align-items: center; gap: 10px; padding: 14px 18px;
  background: var(--panel); border-bottom: 1px solid var(--border);
}
.drawer-head .titles { flex: 1; min-width: 0; }
.drawer-kicker { font-size: 11.5px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
.drawer-title { font-size: 16px; font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.drawer-body { flex: 1; overflow-y: auto; padding: 18px; display: flex; flex-direction: column; gap: 16px; }
.drawer-actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.section-title { display: flex; align-items: center; justify-content: space-between; gap: 8px; font-size: 12px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); margin: 0 0 8px; }
.kv { display: grid; grid-template-columns: 150px minmax(0, 1fr); gap: 0; }
.kv > dt, .kv > dd { margin: 0; padding: 9px 16px; border-bottom: 1px solid #eef0f3; }
.kv > dt { color: var(--muted); font-size: 13px; }
.kv > dd { min-width: 0; overflow-wrap: anywhere; }
.kv > dt:nth-last-child(2), .kv > dd:last-child { border-bottom: 0; }
.kv .time .abs { display: inline; margin-left: 8px; }

pre.json {
  margin: 0; padding: 14px 16px; overflow: auto; max-height: 460px;
  background: #0f172a; color: #e2e8f0; border-radius: var(--radius-sm);
  font-size: 12.5px; line-height: 1.55; white-space: pre; tab-size: 2;
}
pre.json .k { color: #93c5fd; }
pre.json .s { color: #86efac; }
pre.json .n { color: #fcd34d; }
pre.json .b { color: #f9a8d4; }
pre.json .z { color: #94a3b8; }
pre.plain {
  margin: 6px 0 0; padding: 10px 12px; overflow: auto; max-height: 220px;
  background: var(--gray-bg); border: 1px solid var(--border); border-radius: var(--radius-sm);
  font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere;
}
.pre-wrap { position: relative; }
.pre-wrap .copy { position: absolute; top: 8px; right: 8px; height: 26px; font-size: 12px; background: rgba(255, 255, 255, 0.1); color: #cbd5e1; border-color: rgba(255, 255, 255, 0.15); box-shadow: none; }
.pre-wrap .copy:hover { background: rgba(255, 255, 255, 0.18); color: #fff; }

.notice { display: flex; gap: 12px; align-items: flex-start; justify-content: space-between; padding: 12px 14px; border-radius: var(--radius-sm); border: 1px solid; font-size: 13px; }
.notice.red { background: var(--red-bg); border-color: var(--red-bd); color: var(--red); }
.notice.amber { background: var(--amber-bg); border-color: var(--amber-bd); color: var(--amber); }
.notice.green { background: var(--green-bg); border-color: var(--green-bd); color: var(--green); }
.notice.blue { background: var(--blue-bg); border-color: var(--blue-bd); color: var(--blue); }
.notice .sub { color: inherit; opacity: 0.8; }
.notice .notice-text { min-width: 0; overflow-wrap: anywhere; }

.dest { padding: 14px 16px; border-bottom: 1px solid var(--border); display: flex; flex-direction: column; gap: 8px; }
.dest:last-child { border-bottom: 0; }
.dest-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.dest-head .strong { margin-right: auto; }
.dest-url { font-family: var(--mono); font-size: 12px; color: var(--text-2); overflow-wrap: anywhere; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--muted); font-size: 12.5px; }

.attempts { list-style: none; margin: 0; padding: 0; }
.attempt { display: grid; grid-template-columns: 34px minmax(0, 1fr); gap: 12px; padding: 12px 16px; border-bottom: 1px solid #eef0f3; }
.attempt:last-child { border-bottom: 0; }
.attempt .n {
  width: 28px; height: 28px; border-radius: 50%; display: grid; place-items: center;
  font-size: 12px; font-weight: 700; background: var(--gray-bg); color: var(--gray); border: 1px solid var(--border);
}
.attempt .n.green { background: var(--green-bg); color: var(--green); border-color: var(--green-bd); }
.attempt .n.red { background: var(--red-bg); color: var(--red); border-color: var(--red-bd); }
.attempt .n.amber { background: var(--amber-bg); color: var(--amber); border-color: var(--amber-bd); }
.attempt .line { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.attempt > .stack { align-items: stretch; gap: 4px; }
details > summary { cursor: pointer; color: var(--muted); font-size: 12.5px; margin-top: 6px; }
details > summary:hover { color: var(--text-2); }

/* ---------- replays ---------- */
.replay-grid { display: grid; grid-template-columns: minmax(0, 400px) minmax(0, 1fr); gap: 18px; align-items: start; }
.form-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.form-grid .full { grid-column: 1 / -1; }
.form-actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 18px; }
.segmented { display: flex; border: 1px solid var(--border-strong); border-radius: var(--radius-sm); overflow: hidden; box-shadow: var(--shadow-sm); }
.segmented label { flex: 1; text-align: center; cursor: pointer; padding: 7px 10px; font-weight: 550; font-size: 13px; color: var(--text-2); background: var(--panel); border-right: 1px solid var(--border-strong); }
.segmented label:last-child { border-right: 0; }
.segmented input { position: absolute; opacity: 0; pointer-events: none; }
.segmented label:has(input:checked) { background: var(--accent-soft); color: var(--accent); }
.segmented label:has(input:focus-visible) { outline: 2px solid var(--accent); outline-offset: -2px; }
.replay { padding: 14px 18px; border-bottom: 1px solid var(--border); display: flex; flex-direction: column; gap: 8px; }
.replay:last-child { border-bottom: 0; }
.replay-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.replay-head .id { color: var(--text); font-weight: 600; }
.replay-head .grow { flex: 1; }
progress {
  appearance: none; -webkit-appearance: none; width: 100%; height: 8px; border: 0; border-radius: 999px;
  background: var(--gray-bg); overflow: hidden;
}
progress::-webkit-progress-bar { background: var(--gray-bg); border-radius: 999px; }
progress::-webkit-progress-value { background: linear-gradient(90deg, #6366f1, #4f46e5); border-radius: 999px; transition: width 0.3s; }
progress::-moz-progress-bar { background: #4f46e5; border-radius: 999px; }
progress.done::-webkit-progress-value { background: var(--green-dot); }
progress.done::-moz-progress-bar { background: var(--green-dot); }
progress.failed::-webkit-progress-value { background: var(--red-dot); }
progress.failed::-moz-progress-bar { background: var(--red-dot); }
.empty { padding: 36px 18px; text-align: center; color: var(--muted); }
.empty .state-title { color: var(--text-2); font-weight: 600; margin-bottom: 4px; }

/* ---------- stats, links, archive builds ---------- */
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); overflow: hidden; flex: none; }
.drawer-body > * { flex-shrink: 0; }
.stat { padding: 14px 16px; border-right: 1px solid var(--border); min-width: 0; }
.stat:last-child { border-right: 0; }
.stat-label { font-size: 11.5px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.stat-value { font-size: 22px; font-weight: 650; letter-spacing: -0.01em; font-variant-numeric: tabular-nums; color: var(--text); overflow-wrap: anywhere; }
.line { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; min-width: 0; }
.wrap, td.wrap { overflow-wrap: anywhere; }
.link-card { display: flex; flex-direction: column; gap: 12px; }
.link-row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.link-row .select { max-width: 220px; }
.link-result { display: flex; flex-direction: column; gap: 8px; padding: 12px; border-radius: var(--radius-sm); background: var(--green-bg); border: 1px solid var(--green-bd); }
.link-result .link-url { flex: 1; min-width: 200px; background: var(--panel); }
.link-result .meta .time .abs { display: inline; margin-left: 6px; }
.build-form { margin-bottom: 16px; animation: fade 0.15s ease-out; }
.build-form .card-head .btn { height: 28px; width: 28px; }
.form-grid.three { grid-template-columns: 1.4fr 1fr 1fr; }
.build-form .form-actions { align-items: center; }
.presets { display: flex; gap: 4px; flex-wrap: wrap; }
table.list td.state.prompt { background: var(--panel-2); }

/* ---------- toasts ---------- */
.toasts { position: fixed; right: 18px; bottom: 18px; z-index: 60; display: flex; flex-direction: column; gap: 8px; width: min(380px, calc(100vw - 36px)); }
.toast {
  display: flex; gap: 10px; align-items: flex-start; padding: 12px 14px;
  background: var(--panel); border: 1px solid var(--border); border-left: 4px solid var(--blue-dot);
  border-radius: var(--radius-sm); box-shadow: var(--shadow-lg); animation: slide 0.18s ease-out; font-size: 13px;
}
.toast.error { border-left-color: var(--red-dot); }
.toast.success { border-left-color: var(--green-dot); }
.toast .toast-body { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.toast .toast-title { font-weight: 650; }
.toast ul { margin: 4px 0 0; padding-left: 18px; color: var(--muted); }
.toast button { border: 0; background: none; cursor: pointer; color: var(--faint); font-size: 16px; line-height: 1; padding: 0 2px; }

.spinner { display: inline-block; width: 14px; height: 14px; border: 2px solid var(--border-strong); border-top-color: var(--accent); border-radius: 50%; animation: spin 0.7s linear infinite; vertical-align: -2px; margin-right: 8px; }

/* ---------- small pieces ---------- */
body.drawer-open { overflow: hidden; }
.grow { flex: 1; }
.link {
  border: 0; background: none; padding: 0; cursor: pointer;
  color: var(--accent); font-family: var(--mono); font-size: 12.5px; text-align: left; overflow-wrap: anywhere;
}
.link:hover { text-decoration: underline; }
.copyable { display: inline-flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.copy-id { font-family: var(--sans); font-size: 12px; color: var(--muted); }
.strong-id { color: var(--text-2); }
.notice .time .abs, .replay-head .time .abs, .attempt .time .abs { display: inline; margin-left: 6px; }
details.raw > summary { padding: 12px 16px; margin: 0; font-weight: 600; color: var(--text-2); font-size: 13px; }
details.raw[open] > summary { border-bottom: 1px solid var(--border); }
details.raw > .pre-wrap { margin: 12px; }
.card > .empty, .card .empty { font-size: 13px; }
.card .table-wrap table.list td { padding: 9px 14px; }
.card-body > .pre-wrap { margin: 0; }

/* ---------- narrow screens ---------- */
@media (max-width: 980px) {
  .replay-grid { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 860px) {
  .layout { grid-template-columns: minmax(0, 1fr); align-content: start; }
  .sidenav {
    position: sticky; top: 60px; z-index: 15; height: auto; flex-direction: row; overflow-x: auto;
    padding: 8px 12px; border-right: 0; border-bottom: 1px solid var(--border);
  }
  .sidenav .nav-label, .sidenav .nav-foot { display: none; }
  .sidenav a { white-space: nowrap; }
  table.list td { white-space: nowrap; }
  table.list td .stack > * { white-space: nowrap; }
  main { padding: 18px 14px 40px; }
  .health .health-detail { display: none; }
  .topbar { padding: 0 14px; gap: 10px; }
  .brand small { display: none; }
  .toolbar { width: 100%; }
  .toolbar .input, .toolbar .select { flex: 1; width: auto; }
  .kv { grid-template-columns: minmax(0, 1fr); }
  .kv > dt { padding-bottom: 0; border-bottom: 0; font-size: 12px; }
  .kv > dd { padding-top: 2px; }
  .form-grid, .form-grid.three { grid-template-columns: minmax(0, 1fr); }
  .stat { border-bottom: 1px solid var(--border); }
}
@media (max-width: 520px) {
  .topbar .btn .label { display: none; }
  .topbar .btn { width: 34px; padding: 0; }
}

.overview { display: flex; flex-direction: column; gap: 14px; }
.overview > .segmented { align-self: flex-start; }
#overview-content { display: flex; flex-direction: column; gap: 14px; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--border); stroke-width: 1; }
.chart .axis { fill: var(--text-3, #888); font-size: 10px; }
.chart .line { fill: none; stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 8px; font-size: 12px; color: var(--text-2); align-items: center; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.s-in { fill: #6366f1; background: #6366f1; }
.s-ok { fill: #16a34a; background: #16a34a; }
.s-warn { fill: #f59e0b; background: #f59e0b; }
.s-warn2 { fill: #fb923c; background: #fb923c; }
.s-bad { fill: #dc2626; background: #dc2626; }
.s-p50 { stroke: #6366f1; fill: #6366f1; background: #6366f1; }
.s-p99 { stroke: #dc2626; fill: #dc2626; background: #dc2626; }
.line.s-p50, .line.s-p99 { fill: none; }
/* Set-up dialogs (src/ui/client/setup/): one modal form per kind of thing. */
dialog.setup-dialog { padding: 0; border: 0; background: transparent; width: min(880px, calc(100vw - 32px)); max-height: calc(100vh - 48px); overflow: auto; }
dialog.setup-dialog::backdrop { background: rgba(16, 24, 40, 0.45); }
dialog.setup-dialog > .card { box-shadow: var(--shadow-lg); }
.setup-form > .notice { margin-bottom: 14px; }
.setup-group { border: 1px solid var(--border); border-radius: var(--radius-sm); padding: 12px 14px 14px; margin: 0; min-width: 0; background: var(--panel-2); }
.setup-group > legend { padding: 0 6px; font-size: 12px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.setup-group .setup-group { background: var(--panel); }
fieldset.setup-sub { border: 0; padding: 0; margin: 0; min-width: 0; }
.setup-group .form-grid > .field-error { grid-column: 1 / -1; color: var(--red); font-size: 12px; }
.field.check > span { display: flex; align-items: center; gap: 8px; font-weight: 550; color: var(--text-2); }
.copy-row { display: flex; gap: 8px; align-items: center; }
.copy-row .input { flex: 1; min-width: 0; }
.setup-steps, .setup-saved, .setup-secrets { display: flex; flex-direction: column; gap: 14px; }
.setup-preview { display: flex; flex-direction: column; gap: 8px; border-top: 1px solid var(--border); padding-top: 14px; }
.setup-preview > .input { width: 100%; }
.setup-preview-result { min-height: 48px; }
.setup-test { display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
.setup-test-result, .setup-attempt { align-self: stretch; }
.attempt-request { display: flex; flex-direction: column; gap: 2px; font-size: 12px; }
.attempt-request .headers { color: var(--text-2); }
`;
