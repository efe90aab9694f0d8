'use strict';
// W9's load, inside a client process: an open-loop Poisson generator.
// Arrivals follow an exponential inter-arrival clock that never looks at
// completions (closed-loop load slows down with the server and so can never
// overload it). The generator is bounded in time (its phases) and in count
// (a preallocated record buffer); when it falls behind its own schedule it
// still sends every arrival, late, and says so: the sent rate is computed over
// the time it really took to send them, and its lag is reported.
// Each call's latency is measured from its scheduled arrival (no coordinated
// omission); whether it met its deadline is judged from when it was sent.

const CONNECT_BATCH = 16;
const OUTCOME = { ok: 0, late: 1, timeout: 2, rejected: 3, lost: 4 };
// An error this close to the deadline is the deadline firing, not a rejection.
const TIMEOUT_SLACK_MS = 5;
const DRAIN_EXTRA_MS = 2000;

let conns = [];
let seq = 0; // call ids are unique per process for its lifetime: id = 2 * seq + clientIndex

/** xorshift32: reproducible arrivals per client and point. */
function rng(seed) {
  // Scramble the seed (murmur3's finaliser) and drop the first outputs: a small
  // seed would otherwise start xorshift with tiny values, i.e. long gaps.
  let x = seed >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x = (x ^ (x >>> 16)) >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 0.5) / 4294967296;
  };
  for (let i = 0; i < 32; i++) next();
  return next;
}

async function connectAll(msg, adapter, options) {
  await closeAll();
  // Moleculer multiplexes one node pair over one socket: its adapter asks for one broker per process.
  const want = Math.min(msg.conns, adapter.maxConnections || msg.conns);
  let firstError = null;
  for (let i = 0; i < want; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, want - i) }, () => adapter.connect(options.addresses, options.clientOptions || {}));
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === 'fulfilled') conns.push(r.value);
      else firstError = firstError || String((r.reason && r.reason.message) || r.reason);
    }
  }
  if (conns.length === 0) throw new Error(`no connection could be opened: ${firstError}`);
  if (typeof conns[0].work !== 'function') throw new Error(`not supported: the ${options.system} adapter has no work() call`);
  // One checked call per method on every connection before anything is timed: a client that
  // connects (or learns a method) on its first call would otherwise pay that inside the first
  // measured point, which then measures connection set-up rather than load.
  for (const method of msg.methods) {
    await Promise.all(
      conns.map(async (conn) => {
        const id = 2 * seq++ + msg.clientIndex;
        const got = await conn.work(method, id, Date.now() + 5000, 5000);
        const value = got !== null && typeof got === 'object' ? got.id : got;
        if (Number(value) !== id) throw new Error(`wrong ${method} result: ${String(value).slice(0, 60)}`);
      }),
    );
  }
  return { connections: conns.length, firstError };
}

async function closeAll() {
  const old = conns;
  conns = [];
  await Promise.race([Promise.allSettled(old.map((c) => c.close())), new Promise((r) => setTimeout(r, 3000))]);
}

const waitUntil = (perfTime) => new Promise((r) => setTimeout(r, Math.max(0, perfTime - performance.now())));
const perfAt = (epochMs) => performance.now() + (epochMs - Date.now());

/** Closed loop, `inFlight` calls spread over the connections: the capacity measurement. */
async function closedLoop(msg) {
  const start = perfAt(msg.startAt);
  await waitUntil(start);
  const open = start + msg.warmupMs;
  const close = open + msg.durationMs;
  let ok = 0;
  let errors = 0;
  let firstError = null;
  let inFlight = 0;
  let stopping = false;
  let onIdle = null;
  const issue = (conn) => {
    if (stopping || performance.now() >= close) {
      stopping = true;
      if (inFlight === 0 && onIdle) onIdle();
      return;
    }
    inFlight++;
    const id = 2 * seq++ + msg.clientIndex;
    let p;
    try {
      p = conn.work(msg.method, id, Date.now() + msg.timeoutMs, msg.timeoutMs);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => {
        inFlight--;
        const now = performance.now();
        if (now >= open && now < close) ok++;
        issue(conn);
      },
      (err) => {
        inFlight--;
        errors++;
        firstError = firstError || String((err && err.message) || err);
        setImmediate(() => issue(conn)); // never spin in microtasks against a dead connection
      },
    );
  };
  // A fixed number in flight whatever the connection count (Moleculer has one per process).
  for (let i = 0; i < msg.inFlight; i++) issue(conns[i % conns.length]);
  await new Promise((resolve) => {
    const t = setTimeout(resolve, close - performance.now() + msg.timeoutMs + DRAIN_EXTRA_MS);
    onIdle = () => (clearTimeout(t), resolve());
  });
  return { ok, errors, firstError, windowMs: msg.durationMs, stuck: inFlight };
}

/** Open loop over phases [{rate (calls/s of this process), ms}]. */
async function openLoop(msg) {
  const phases = msg.phases;
  const totalMs = phases.reduce((s, p) => s + p.ms, 0);
  const expected = phases.reduce((s, p) => s + (p.rate * p.ms) / 1000, 0);
  const cap = Math.ceil(expected * 1.5 + 100);
  const sched = new Float64Array(cap);
  const lat = new Float64Array(cap).fill(NaN);
  const lag = new Float64Array(cap);
  const outcome = new Uint8Array(cap).fill(OUTCOME.lost);
  const ids = new Float64Array(cap);
  const random = rng(msg.seed);
  const rateAt = (t) => {
    let end = 0;
    for (const p of phases) {
      end += p.ms;
      if (t < end) return p.rate;
    }
    return phases[phases.length - 1].rate;
  };
  const expo = (t) => -Math.log(random()) / (rateAt(t) / 1000);
  const firstErrors = {};
  let n = 0;
  let overCap = 0;
  let inFlight = 0;
  let lastIssue = 0;
  let onIdle = null;
  const start = perfAt(msg.startAt);
  await waitUntil(start);

  const send = (i, conn) => {
    const id = 2 * seq++ + msg.clientIndex;
    ids[i] = id;
    const sentAt = performance.now();
    lag[i] = sentAt - (start + sched[i]);
    inFlight++;
    const settle = (err) => {
      const done = performance.now();
      inFlight--;
      lat[i] = done - (start + sched[i]);
      const fromSend = done - sentAt;
      let o;
      if (!err) o = fromSend <= msg.timeoutMs ? OUTCOME.ok : OUTCOME.late;
      else o = fromSend >= msg.timeoutMs - TIMEOUT_SLACK_MS ? OUTCOME.timeout : OUTCOME.rejected;
      outcome[i] = o;
      if (err && !firstErrors[o]) firstErrors[o] = String((err && (err.code ? `${err.code}: ${err.message}` : err.message)) || err).slice(0, 120);
      if (inFlight === 0 && onIdle) onIdle();
    };
    let p;
    try {
      p = conn.work(msg.method, id, Date.now() + msg.timeoutMs, msg.timeoutMs);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(() => settle(null), settle);
  };

  await new Promise((resolve) => {
    let next = expo(0);
    let rr = 0;
    const tick = () => {
      const now = performance.now() - start;
      while (next <= now && next < totalMs) {
        if (n < cap) {
          sched[n] = next;
          send(n++, conns[rr++ % conns.length]);
        } else overCap++;
        next += expo(next);
      }
      lastIssue = performance.now() - start;
      if (next >= totalMs) return resolve();
      setTimeout(tick, Math.max(0, next - now));
    };
    tick();
  });
  const sendSpanMs = Math.max(totalMs, lastIssue);
  await new Promise((resolve) => {
    if (inFlight === 0) return resolve();
    const t = setTimeout(resolve, msg.timeoutMs + DRAIN_EXTRA_MS);
    onIdle = () => (clearTimeout(t), resolve());
  });
  // Calls that did not succeed in time: the server sums the handler CPU they cost.
  const notOk = [];
  for (let i = 0; i < n; i++) if (outcome[i] !== OUTCOME.ok) notOk.push(ids[i]);
  return {
    sched: sched.slice(0, n),
    lat: lat.slice(0, n),
    lag: lag.slice(0, n),
    outcome: outcome.slice(0, n),
    notOk,
    sent: n,
    overCap,
    expected,
    sendSpanMs,
    totalMs,
    firstErrors,
  };
}

function handle(msg, adapter, options) {
  if (msg.type === 'ol-connect') return connectAll(msg, adapter, options);
  if (msg.type === 'ol-closed') return closedLoop(msg);
  if (msg.type === 'ol-run') return openLoop(msg);
  if (msg.type === 'ol-close') return closeAll().then(() => ({}));
  throw new Error(`unknown message ${msg.type}`);
}

module.exports = { handle, closeAll, OUTCOME };
