'use strict';
// Closed-loop load generator: every completion immediately starts the next
// call on the same connection, so "in flight" stays constant. Every loop is
// bounded by a call count and by wall-clock time and stops on its own.
const { performance } = require('node:perf_hooks');
const { summarize, cpuMicros } = require('./stats');

const DRAIN_TIMEOUT_MS = 5000;

/**
 * @param {object} o
 * @param {Array<{call: (kind: string) => Promise<unknown>}>} o.conns
 * @param {number} o.perConn calls in flight on each connection
 * @param {string} o.kind 'multiply' | 'echo'
 * @param {Float64Array} o.samples preallocated latency buffer (µs); its length caps the window
 * @param {number} o.warmupMs
 * @param {number} o.durationMs measured window; 0 means "until maxCalls"
 * @param {number} [o.warmupCalls] end the warm-up early after this many calls
 * @param {number} o.maxCalls hard cap on measured calls
 * @param {number} o.hardTimeoutMs wall-clock cap on the measured window
 * @param {boolean} [o.drainBetween] let in-flight calls finish before the window opens and after it closes
 * @param {(phase: 'start'|'end') => Promise<void>} o.mark told when the window opens/closes
 */
function runClosedLoop(o) {
  return new Promise((resolve) => {
    const maxCalls = Math.min(o.maxCalls, o.samples.length);
    let phase = 'warmup';
    let warmCalls = 0;
    let calls = 0;
    let errors = 0;
    let firstError = null;
    let inFlight = 0;
    let paused = false;
    let t0 = 0;
    let t1 = 0;
    let cpu0 = null;
    let cpuDelta = 0;
    let timer = null;
    let onIdle = null;

    const onDone = (conn, start) => {
      inFlight--;
      if (phase === 'measure') {
        const now = performance.now();
        o.samples[calls++] = (now - start) * 1000;
        if (calls >= maxCalls) closeWindow();
      } else if (phase === 'warmup') {
        if (++warmCalls >= (o.warmupCalls || Infinity)) openWindow();
      }
      issue(conn);
    };
    const onError = (conn, err) => {
      inFlight--;
      errors++;
      if (!firstError) firstError = String((err && err.message) || err);
      // Re-issuing from the rejection itself could spin in microtasks forever
      // against a dead connection and starve the timers that end the run.
      setImmediate(() => issue(conn));
    };
    const issue = (conn) => {
      if (phase === 'done' || paused) {
        if (inFlight === 0 && onIdle) onIdle();
        return;
      }
      inFlight++;
      const start = performance.now();
      let p;
      try {
        p = conn.call(o.kind);
      } catch (err) {
        onError(conn, err);
        return;
      }
      p.then(() => onDone(conn, start), (err) => onError(conn, err));
    };
    const idle = () =>
      new Promise((res) => {
        if (inFlight === 0) return res(true);
        const t = setTimeout(() => ((onIdle = null), res(false)), DRAIN_TIMEOUT_MS);
        onIdle = () => ((onIdle = null), clearTimeout(t), res(true));
      });

    const openWindow = async () => {
      if (phase !== 'warmup') return;
      phase = 'opening';
      clearTimeout(timer);
      if (o.drainBetween) {
        paused = true;
        await idle();
      }
      // Under steady load the parent snapshots the server while calls keep
      // flowing; only the drained mode (soak) waits for it (a forced GC).
      const marked = o.mark('start');
      if (o.drainBetween) await marked;
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      phase = 'measure';
      timer = setTimeout(closeWindow, o.durationMs > 0 ? o.durationMs : o.hardTimeoutMs);
      if (paused) {
        paused = false;
        for (const c of o.conns) for (let i = 0; i < o.perConn; i++) issue(c);
      }
    };
    const closeWindow = async () => {
      if (phase !== 'measure') return;
      t1 = performance.now();
      cpuDelta = cpuMicros(process.cpuUsage(cpu0));
      phase = 'done';
      clearTimeout(timer);
      let drained;
      if (o.drainBetween) {
        drained = await idle();
        await o.mark('end');
      } else {
        o.mark('end');
        drained = await idle();
      }
      const elapsedMs = t1 - t0;
      const { p50, p99 } = summarize(o.samples, calls);
      resolve({
        calls,
        elapsedMs,
        callsPerSec: calls / (elapsedMs / 1000),
        p50,
        p99,
        errors,
        firstError,
        clientCpuUs: cpuDelta,
        stoppedBy: calls >= maxCalls ? 'count' : 'time',
        stuck: drained ? 0 : inFlight,
      });
    };

    timer = setTimeout(openWindow, o.warmupMs);
    for (const c of o.conns) for (let i = 0; i < o.perConn; i++) issue(c);
  });
}

module.exports = { runClosedLoop };
