/*
 * The dashboard: one page, its stylesheet and its script, kept here as strings so that they ship
 * inside the package's JavaScript (no files to copy at build time, nothing from a CDN). The
 * script reads `/rivet/events` (Server-Sent Events) and updates rows in place, keyed by their
 * data attributes, so the elements tests and users' tooling hold stay the same across updates.
 */

/** The page at `/rivet/dashboard`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rivet dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard.css">
<script src="dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>Rivet</h1>
  <span class="badge" data-testid="health" id="health">…</span>
  <span class="muted" id="ports"></span>
  <span class="muted" data-testid="load" id="load"></span>
  <span class="conn" data-testid="connection" id="conn">connecting…</span>
</header>
<main>
  <section>
    <h2>Methods served <span class="muted">rolling minute</span></h2>
    <table>
      <thead><tr><th>Method</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">Calls/s</th><th>Rate, last 60 s</th><th class="num">Error %</th><th class="num">p50</th><th class="num">p99</th><th class="num">In flight</th></tr></thead>
      <tbody id="methods" data-testid="methods"></tbody>
    </table>
    <p class="empty" id="methods-empty">No methods served.</p>
  </section>
  <section>
    <h2>Services called</h2>
    <table>
      <thead><tr><th>Service</th><th>Endpoint</th><th>Connection</th><th>Breaker</th><th>Ejected</th><th class="num">In flight</th><th class="num">Latency</th><th class="num">Calls</th><th class="num">Failures</th></tr></thead>
      <tbody id="endpoints" data-testid="endpoints"></tbody>
    </table>
    <p class="empty" id="endpoints-empty">This app has not called any service yet.</p>
  </section>
  <section>
    <h2>Registry</h2>
    <table>
      <thead><tr><th>Service</th><th>Instance</th><th>Address</th><th>Version</th><th>Zone</th></tr></thead>
      <tbody id="registry" data-testid="registry"></tbody>
    </table>
    <p class="empty" id="registry-empty">No instances registered.</p>
  </section>
</main>
</body>
</html>
`;

/** `/rivet/dashboard.css`. */
export const DASHBOARD_CSS = `:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #6b7385; --line: #e3e6ec;
  --ok: #1f8a4c; --warn: #b7791f; --bad: #c53030; --accent: #3b6fd8; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171d; --card: #1c2029; --fg: #e6e9ef; --muted: #8b93a5; --line: #2c3240; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; gap: 12px; padding: 12px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0 8px 0 0; letter-spacing: .02em; }
h2 { font-size: 15px; margin: 0 0 8px; }
main { padding: 16px 24px; display: grid; gap: 16px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
tbody tr:last-child td { border-bottom: none; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); font-weight: normal; font-size: 12px; }
.empty { color: var(--muted); margin: 8px 0 0; }
.badge, .pill { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
.ok { background: var(--ok); } .warn { background: var(--warn); } .bad { background: var(--bad); }
.conn { margin-left: auto; font-size: 12px; color: var(--muted); }
.conn.live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); margin-right: 6px; }
.conn.down::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--bad); margin-right: 6px; }
td.err-hi { color: var(--bad); font-weight: 600; } td.err-mid { color: var(--warn); font-weight: 600; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.spark polygon { fill: var(--accent); opacity: .15; stroke: none; }
`;

/**
 * The browser code that reads `/rivet/events` and hands each event to `deliver` as
 * `{ type: 'open' | 'data' | 'error', data? }`: one loop for the worker and for a page without
 * workers. EventSource retries on its own after a dropped stream; after a refused one (an HTTP
 * error) it gives up, so the loop starts over.
 */
function readEvents(deliver: string): string {
  return `(function connect() {
    var source = new EventSource('events');
    source.onopen = function () { ${deliver}({ type: 'open' }); };
    source.onmessage = function (ev) { ${deliver}({ type: 'data', data: ev.data }); };
    source.onerror = function () {
      ${deliver}({ type: 'error' });
      if (source.readyState === EventSource.CLOSED) { source.close(); setTimeout(connect, 2000); }
    };
  })();`;
}

/** `/rivet/dashboard.js`. */
export const DASHBOARD_JS = `'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';

  function ms(v) {
    if (v === null || v === undefined) return '–';
    if (v < 1) return v.toFixed(2) + ' ms';
    if (v < 100) return v.toFixed(1) + ' ms';
    if (v < 10000) return Math.round(v) + ' ms';
    return (v / 1000).toFixed(1) + ' s';
  }
  function rate(v) { return v < 10 ? v.toFixed(1) : String(Math.round(v)); }

  // One row per key, made once and updated in place.
  function syncRows(tbody, items, keyOf, make, update) {
    var seen = new Set();
    var before = null;
    for (var i = items.length - 1; i >= 0; i--) {
      var key = keyOf(items[i]);
      seen.add(key);
      var tr = tbody.querySelector('tr[data-key="' + CSS.escape(key) + '"]');
      if (!tr) { tr = make(items[i]); tr.setAttribute('data-key', key); }
      update(tr, items[i]);
      if (tr.nextSibling !== before || tr.parentNode !== tbody) tbody.insertBefore(tr, before);
      before = tr;
    }
    Array.prototype.slice.call(tbody.children).forEach(function (tr) {
      if (!seen.has(tr.getAttribute('data-key'))) tr.remove();
    });
  }
  function cells(tr, specs) {
    specs.forEach(function (s) {
      var td = document.createElement('td');
      if (s.num) td.className = 'num';
      if (s.id) td.setAttribute('data-testid', s.id);
      tr.appendChild(td);
    });
  }
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

  function spark(values) {
    var w = 120, h = 24, max = Math.max.apply(null, values.concat([1]));
    var step = values.length > 1 ? w / (values.length - 1) : w;
    var pts = values.map(function (v, i) { return (i * step).toFixed(1) + ',' + (h - 1 - (v / max) * (h - 2)).toFixed(1); });
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'spark'); svg.setAttribute('width', w); svg.setAttribute('height', h);
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    var area = document.createElementNS(SVG, 'polygon');
    area.setAttribute('points', '0,' + h + ' ' + pts.join(' ') + ' ' + w + ',' + h);
    var line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', pts.join(' '));
    svg.appendChild(area); svg.appendChild(line);
    return svg;
  }

  function renderMethods(methods) {
    syncRows($('methods'), methods, function (m) { return m.service + '.' + m.method; }, function (m) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'method-row');
      tr.setAttribute('data-service', m.service);
      tr.setAttribute('data-method', m.method);
      cells(tr, [{ id: 'name' }, { id: 'calls', num: true }, { id: 'errors', num: true }, { id: 'rate', num: true }, { id: 'spark' },
        { id: 'error-percent', num: true }, { id: 'p50', num: true }, { id: 'p99', num: true }, { id: 'in-flight', num: true }]);
      tr.children[0].textContent = m.service + '.' + m.method;
      return tr;
    }, function (tr, m) {
      var td = tr.children;
      setText(td[1], String(m.calls));
      setText(td[2], String(m.errors));
      setText(td[3], rate(m.ratePerSecond));
      td[4].replaceChildren(spark(m.spark));
      setText(td[5], m.errorPercent.toFixed(1) + '%');
      td[5].className = 'num' + (m.errorPercent >= 25 ? ' err-hi' : m.errorPercent >= 10 ? ' err-mid' : '');
      setText(td[6], ms(m.p50Ms));
      setText(td[7], ms(m.p99Ms));
      setText(td[8], String(m.inFlight));
    });
    $('methods-empty').hidden = methods.length > 0;
  }

  function renderEndpoints(targets) {
    var rows = [];
    targets.forEach(function (t) { t.endpoints.forEach(function (e) { rows.push({ service: t.service, e: e }); }); });
    syncRows($('endpoints'), rows, function (r) { return r.service + ' ' + r.e.endpoint; }, function (r) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'endpoint-row');
      tr.setAttribute('data-service', r.service);
      tr.setAttribute('data-endpoint', r.e.endpoint);
      cells(tr, [{ id: 'service' }, { id: 'endpoint' }, { id: 'state' }, {}, { id: 'ejected' }, { id: 'in-flight', num: true },
        { id: 'latency', num: true }, { id: 'calls', num: true }, { id: 'failures', num: true }]);
      var pill = document.createElement('span');
      pill.setAttribute('data-testid', 'breaker');
      tr.children[3].appendChild(pill);
      tr.children[0].textContent = r.service;
      tr.children[1].textContent = r.e.endpoint;
      return tr;
    }, function (tr, r) {
      var td = tr.children, e = r.e;
      setText(td[2], e.state);
      var pill = td[3].firstChild;
      setText(pill, e.breaker);
      pill.className = 'pill ' + (e.breaker === 'closed' ? 'ok' : e.breaker === 'open' ? 'bad' : 'warn');
      setText(td[4], e.ejected ? 'yes' : 'no');
      setText(td[5], String(e.inFlight));
      setText(td[6], e.latencyMs > 0 ? ms(e.latencyMs) : '–');
      setText(td[7], String(e.calls));
      setText(td[8], String(e.failures));
    });
    $('endpoints-empty').hidden = rows.length > 0;
  }

  function renderRegistry(registry) {
    var rows = [];
    registry.forEach(function (r) { r.instances.forEach(function (i) { rows.push({ service: r.service, i: i }); }); });
    syncRows($('registry'), rows, function (r) { return r.service + ' ' + r.i.id; }, function () {
      var tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'instance-row');
      cells(tr, [{ id: 'service' }, { id: 'instance' }, { id: 'address' }, { id: 'version' }, { id: 'zone' }]);
      return tr;
    }, function (tr, r) {
      tr.setAttribute('data-service', r.service);
      var td = tr.children;
      setText(td[0], r.service); setText(td[1], r.i.id); setText(td[2], r.i.address);
      setText(td[3], r.i.version || '–'); setText(td[4], r.i.zone || '–');
    });
    $('registry-empty').hidden = rows.length > 0;
  }

  function render(s) {
    var h = $('health');
    var status = s.app.ready ? 'ready' : s.app.health === 'SERVING' ? 'not ready' : s.app.health.toLowerCase().replace('_', ' ');
    setText(h, status);
    h.className = 'badge ' + (s.app.ready ? 'ok' : s.app.health === 'SERVING' ? 'warn' : 'bad');
    h.title = s.app.services.map(function (x) { return x.name + ': ' + x.status; }).join('\\n');
    setText($('ports'), 'rpc :' + (s.app.port === null ? '–' : s.app.port) + ' · http :' + (s.app.httpPort === null ? '–' : s.app.httpPort));
    var l = s.app.load;
    setText($('load'), l ? 'running ' + l.concurrency + (l.limit === null ? '' : '/' + l.limit) + ' · queued ' + l.queued + ' · shed ' + l.shedPerSecond + '/s · loop ' + Math.round(l.eventLoopUtilization * 100) + '%' : '');
    renderMethods(s.methods);
    renderEndpoints(s.targets);
    renderRegistry(s.registry);
  }

  function status(text, cls) { var c = $('conn'); setText(c, text); c.className = 'conn ' + cls; }

  function onEvent(m) {
    if (m.type === 'open') return status('live', 'live');
    if (m.type === 'error') return status('reconnecting…', 'down');
    var snapshot;
    try { snapshot = JSON.parse(m.data); } catch (e) { return; }
    render(snapshot);
    status('live · ' + new Date(snapshot.at).toLocaleTimeString(), 'live');
  }

  // The stream lives in a worker (dashboard-worker.js): while the app is down, each reconnect
  // attempt fails with a network error that the browser logs in the console of the context that
  // made it, so the worker keeps that noise out of the page's console, which users' tooling and
  // end-to-end tests watch. Without workers, the page reads the stream itself.
  if (typeof Worker === 'function') {
    try {
      var worker = new Worker('dashboard-worker.js');
      worker.onmessage = function (ev) { onEvent(ev.data); };
      return;
    } catch (e) { /* fall through: read the stream here */ }
  }
  ${readEvents('onEvent')}
})();
`;

/**
 * `/rivet/dashboard-worker.js`: reads `/rivet/events` and posts each event to the page as
 * `{ type: 'open' | 'data' | 'error', data? }`.
 */
export const DASHBOARD_WORKER_JS = `'use strict';
${readEvents('postMessage')}
`;
