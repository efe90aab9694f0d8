'use strict';
// W9, overload: one job per system. Starts the server and two client
// processes, measures the system's capacity C with a closed loop, then drives
// open-loop Poisson load at multiples of C (lib/open-loop.js) and a step
// 1x -> 4x -> 1x. Between points the server must fall quiet (a collapsed
// system works off its backlog of dead calls first), so points do not leak
// into each other. The analysis joins both clients' per-call records with the
// server's ledger of handler CPU (lib/work.js).
const path = require('node:path');
const { Child } = require('./proc');
const { percentile } = require('./stats');
const { OUTCOME } = require('./open-loop');

const SYSTEMS_DIR = path.join(__dirname, '..', 'systems');
const CLIENT_HOST = path.join(__dirname, 'client-host.js');
const START_TIMEOUT_MS = 30_000;
const CLIENTS = 2;
const QUIET_IDLE_MS = 200;
const QUIET_MAX_MS = 5_000;
const START_DELAY_MS = 150; // both clients start on the same wall-clock instant
const ROLL_WINDOW_MS = 250;
const ROLL_STEP_MS = 50;
const MB = 1024 * 1024;

function sortedOf(values) {
  const a = Float64Array.from(values);
  a.sort();
  return a;
}

/**
 * Recovery after the step down: the first moment from which every rolling
 * window (by arrival time) is back to the first 1x phase, i.e. its p99 of
 * successes is within 1.25x (or +2 ms) of that phase's and its share of failed
 * calls is at most twice that phase's (or 2%).
 */
function recovery(calls, phases) {
  const p1 = phases[0].ms;
  const tDown = phases[0].ms + phases[1].ms;
  const total = tDown + phases[2].ms;
  const windowOf = (from, to) => {
    const xs = calls.filter((c) => c.sched >= from && c.sched < to);
    const okLat = xs.filter((c) => c.outcome === OUTCOME.ok).map((c) => c.lat);
    return {
      n: xs.length,
      p99: okLat.length ? percentile(sortedOf(okLat), okLat.length, 99) : Infinity,
      failed: xs.length ? (xs.length - okLat.length) / xs.length : 0,
    };
  };
  const base = windowOf(0, p1);
  if (!Number.isFinite(base.p99)) return { baseline: NaN, recoveryMs: NaN, note: 'no success in the first 1x phase' };
  // A 1x phase that already fails calls is no baseline to recover to.
  if (base.failed > 0.1) return { baseline: base.p99, baselineFailed: base.failed, recoveryMs: NaN, note: `no healthy 1x baseline (${(100 * base.failed).toFixed(0)}% of its calls failed)` };
  const threshold = Math.max(base.p99 * 1.25, base.p99 + 2);
  const maxFailed = Math.max(2 * base.failed, 0.02);
  let since = null;
  for (let s = tDown; s + ROLL_WINDOW_MS <= total; s += ROLL_STEP_MS) {
    const win = windowOf(s, s + ROLL_WINDOW_MS);
    if (win.n > 0 && win.p99 <= threshold && win.failed <= maxFailed) {
      if (since === null) since = s;
    } else since = null;
  }
  return { baseline: base.p99, baselineFailed: base.failed, threshold, recoveryMs: since === null ? NaN : since - tDown, windowMs: phases[2].ms };
}

/** One load point: both clients' records and the server's ledger -> the row's numbers. */
function analyze({ parts, ledger, capacity, phases, timeoutMs }) {
  const calls = [];
  let sent = 0;
  let expected = 0;
  let sendSpanMs = 0;
  let overCap = 0;
  const firstErrors = {};
  for (const p of parts) {
    for (let i = 0; i < p.sent; i++) calls.push({ sched: p.sched[i], lat: p.lat[i], lag: p.lag[i], outcome: p.outcome[i] });
    sent += p.sent;
    expected += p.expected;
    overCap += p.overCap;
    sendSpanMs = Math.max(sendSpanMs, p.sendSpanMs);
    for (const [k, v] of Object.entries(p.firstErrors)) firstErrors[k] = firstErrors[k] || v;
  }
  const totalMs = phases.reduce((s, p) => s + p.ms, 0);
  const by = (o) => calls.filter((c) => c.outcome === o);
  const ok = by(OUTCOME.ok);
  const okLat = sortedOf(ok.map((c) => c.lat));
  const rejected = by(OUTCOME.rejected);
  const rejectLat = sortedOf(rejected.map((c) => c.lat - c.lag));
  const lags = sortedOf(calls.map((c) => c.lag));
  const out = {
    capacity,
    offeredPerSec: phases.reduce((s, p) => s + p.rate * p.ms, 0) / totalMs,
    expected,
    sent,
    sentPerSec: sent / (sendSpanMs / 1000),
    goodput: ok.length / (totalMs / 1000),
    p50: percentile(okLat, okLat.length, 50),
    p99: percentile(okLat, okLat.length, 99),
    p999: percentile(okLat, okLat.length, 99.9),
    ok: ok.length,
    late: by(OUTCOME.late).length,
    timeouts: by(OUTCOME.timeout).length,
    rejected: rejected.length,
    rejectP50: percentile(rejectLat, rejectLat.length, 50),
    lost: by(OUTCOME.lost).length,
    lagP99: percentile(lags, lags.length, 99),
    // The generator sends every arrival, late if it must: behind means it needed longer than the point to do so.
    behind: sendSpanMs > totalMs * 1.03,
    overCap,
    wastedFraction: ledger.totalCpuMs > 0 ? ledger.wastedCpuMs / ledger.totalCpuMs : 0,
    handlerRuns: ledger.runs,
    lateAtServer: ledger.lateAtServer,
    rssPeakMb: ledger.rssPeak / MB,
    quietWaitMs: ledger.quietWaitMs,
    quiet: ledger.quiet,
    firstErrors,
    timeoutMs,
  };
  out.fractionOfC = out.goodput / capacity;
  if (phases.length === 3) {
    Object.assign(out, recovery(calls, phases));
    const p2From = phases[0].ms;
    const p2To = p2From + phases[1].ms;
    out.goodputAtPeak = calls.filter((c) => c.outcome === OUTCOME.ok && c.sched >= p2From && c.sched < p2To).length / (phases[1].ms / 1000);
  }
  return out;
}

/**
 * Runs W9 against one system configuration.
 * @returns {Promise<Array<{variant: string, point: object, result: object}>>}
 */
async function runOverloadJob(job, w, log, capacities = new Map()) {
  const children = [];
  const rows = [];
  const budget = w.budgetMs;
  let expired = false;
  const killer = setTimeout(() => {
    expired = true;
    for (const c of children) c.kill();
  }, budget);
  const fail = (message) => {
    for (const v of w.variants) for (const point of v.points) if (!rows.some((r) => r.variant === v.method && r.point === point)) rows.push({ variant: v.method, point, result: { error: message } });
  };
  try {
    const server = new Child(path.join(SYSTEMS_DIR, job.system, 'server.js'), job.serverOptions || {});
    children.push(server);
    const ready = await server.waitFor(['ready', 'fatal'], START_TIMEOUT_MS, `${job.system} server start`);
    if (ready.type === 'fatal') throw new Error(ready.message);
    const note = [job.note, ready.note].filter(Boolean).join('; ');
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = new Child(CLIENT_HOST, { system: job.system, addresses: [`127.0.0.1:${ready.port}`], clientOptions: job.clientOptions || {} });
      children.push(c);
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.waitFor('ready', START_TIMEOUT_MS, `${job.system} client start`)));
    const methods = w.variants.map((v) => v.method);
    // Fresh connections (and fresh client state: breakers, budgets, balancer
    // statistics) for every point, so no point inherits the last one's damage.
    let connections = 0;
    const reconnect = async () => {
      const opened = await Promise.all(
        clients.map((c, i) => c.request({ type: 'ol-connect', conns: w.connections / CLIENTS, clientIndex: i, methods }, START_TIMEOUT_MS)),
      );
      connections = opened.reduce((s, o) => s + o.connections, 0);
    };
    await reconnect();
    const settle = async () => {
      const q = await server.request({ type: 'ledger-quiet', idleMs: QUIET_IDLE_MS, maxMs: QUIET_MAX_MS }, QUIET_MAX_MS + 5000);
      return q;
    };

    // Capacity: closed loop, 64 calls in flight spread over the connections, generous deadline.
    const calibrate = async (v, warmUpOnly = false) => {
      const startAt = Date.now() + START_DELAY_MS;
      const cal = await Promise.all(
        clients.map((c, i) =>
          c.request({ type: 'ol-closed', method: v.method, startAt, inFlight: w.connections / CLIENTS, warmupMs: w.calibration.warmupMs, durationMs: w.calibration.durationMs, timeoutMs: 5000, clientIndex: i }, w.calibration.warmupMs + w.calibration.durationMs + 15_000),
        ),
      );
      const capacity = cal.reduce((s, r) => s + r.ok, 0) / (w.calibration.durationMs / 1000);
      if (!(capacity > 0)) throw new Error(`capacity measurement completed no call${cal[0].firstError ? `: ${cal[0].firstError}` : ''}`);
      if (!warmUpOnly) log(`  W9 ${job.key} ${v.method}: capacity C = ${Math.round(capacity)} calls/s`);
      return capacity;
    };

    const borrowed = job.capacityFrom && capacities.get(job.capacityFrom);
    const measured = {};
    for (const v of w.variants) {
      let capacity = borrowed && borrowed[v.method];
      if (capacity) {
        // The same closed loop as a calibration, its number unused: it warms this server process
        // (JIT, pools, the adaptive limit's first windows) as a calibration warms the row C comes
        // from, so the first load point does not measure a cold process. Fresh connections first,
        // as for every point: a breaker the last overload opened must not fail the warm-up.
        if (rows.length > 0) await reconnect();
        let warm = 0;
        try {
          warm = await calibrate(v, true);
        } catch (err) {
          log(`  W9 ${job.key} ${v.method}: warm-up failed (${String((err && err.message) || err).slice(0, 80)}); measuring anyway`);
        }
        log(`  W9 ${job.key} ${v.method}: capacity C = ${Math.round(capacity)} calls/s, from ${job.capacityFrom} (warm-up ran ${Math.round(warm)} calls/s)`);
      } else {
        if (rows.length > 0) await reconnect();
        capacity = await calibrate(v);
      }
      measured[v.method] = capacity;
      await settle();

      for (const point of v.points) {
        if (rows.length > 0 || borrowed) {
          await reconnect();
          await settle();
        }
        const phases = point.phases.map((ph) => ({ rate: ph.factor * capacity, ms: ph.ms }));
        await server.request({ type: 'ledger-reset' });
        const at = Date.now() + START_DELAY_MS;
        const totalMs = phases.reduce((s, p) => s + p.ms, 0);
        const parts = await Promise.all(
          clients.map((c, i) =>
            c.request(
              { type: 'ol-run', method: v.method, startAt: at, phases: phases.map((p) => ({ rate: p.rate / CLIENTS, ms: p.ms })), timeoutMs: w.timeoutMs, clientIndex: i, seed: 0x5eed + 7919 * i + 104729 * rows.length },
              totalMs + w.timeoutMs + 20_000,
            ),
          ),
        );
        const q = await settle();
        const notOk = parts.flatMap((p) => p.notOk);
        const ledger = await server.request({ type: 'ledger-waste', ids: notOk }, 20_000);
        ledger.quietWaitMs = q.waitedMs;
        ledger.quiet = q.quiet;
        const result = analyze({ parts, ledger, capacity, phases, timeoutMs: w.timeoutMs });
        result.connections = connections;
        result.systemNote = [note, borrowed ? `C measured on the ${job.capacityFrom} row` : null].filter(Boolean).join('; ') || undefined;
        rows.push({ variant: v.method, point, result });
        log(`  W9 ${job.key} ${v.method} ${point.label}: goodput ${Math.round(result.goodput)}/s (${result.fractionOfC.toFixed(2)} C), sent ${Math.round(result.sentPerSec)}/${Math.round(result.offeredPerSec)}/s, p99 ${result.p99 ? result.p99.toFixed(1) : '-'} ms, rejected ${result.rejected}, timeouts ${result.timeouts}, wasted ${(100 * result.wastedFraction).toFixed(1)}%`);
      }
    }
    capacities.set(job.key, measured);
  } catch (err) {
    fail(expired ? `hard timeout after ${budget} ms` : err.message);
  } finally {
    clearTimeout(killer);
    await Promise.all(children.map((c) => c.stop()));
  }
  return rows;
}

module.exports = { runOverloadJob, analyze, recovery };
