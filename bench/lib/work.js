'use strict';
// The server-side work of the overload workload (W9), shared by every system so
// each one runs the very same handler, plus the ledger the parent reads to
// compute wasted work. Every system's handler calls burn() or mixed() with the
// call's id and absolute deadline (epoch ms; client and server share the clock
// of one machine).
const { setTimeout: sleep } = require('node:timers/promises');

/** CPU a handler spends per call, by method (ms). */
const CPU_MS = { burn: 2, mixed: 1 };
/** Time the mixed handler waits after its CPU slice (ms). */
const WAIT_MS = 5;

// id -> handler CPU ms, for every call whose handler ran since the last reset.
let cpuById = new Map();
let totalCpuMs = 0;
let runs = 0;
let lateAtServer = 0; // handler finished after the call's deadline
let lastActivity = 0; // performance clock of the last handler start or end
let inHandlers = 0;

/** Busy-waits on the monotonic clock: CPU burnt, nothing else happens. */
function spin(ms) {
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function record(id, cpuMs, deadline) {
  cpuById.set(id, (cpuById.get(id) || 0) + cpuMs);
  totalCpuMs += cpuMs;
  runs++;
  if (deadline && Date.now() > deadline) lateAtServer++;
}

/** 2 ms of CPU. */
function burn(id, deadline) {
  inHandlers++;
  lastActivity = performance.now();
  const cpu = spin(CPU_MS.burn);
  record(Number(id), cpu, Number(deadline));
  inHandlers--;
  lastActivity = performance.now();
  return Number(id);
}

/** 1 ms of CPU, then 5 ms of waiting (a downstream call, say). */
async function mixed(id, deadline) {
  inHandlers++;
  lastActivity = performance.now();
  const cpu = spin(CPU_MS.mixed);
  await sleep(WAIT_MS);
  record(Number(id), cpu, Number(deadline));
  inHandlers--;
  lastActivity = performance.now();
  return Number(id);
}

function run(method, id, deadline) {
  return method === 'mixed' ? mixed(id, deadline) : burn(id, deadline);
}

function reset() {
  cpuById = new Map();
  totalCpuMs = 0;
  runs = 0;
  lateAtServer = 0;
}

/** Resolves once no handler has started or ended for idleMs (or after maxMs). */
function quiet(idleMs, maxMs) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const check = () => {
      const now = performance.now();
      const idle = inHandlers === 0 && now - lastActivity >= idleMs;
      if (idle || now - t0 >= maxMs) resolve({ quiet: idle, waitedMs: now - t0 });
      else setTimeout(check, 20);
    };
    check();
  });
}

/**
 * Handler CPU spent on the given ids (the calls the clients did not get a
 * timely success for) against all handler CPU since the last reset.
 */
function waste(ids) {
  let wastedCpuMs = 0;
  let wastedRuns = 0;
  for (const id of ids) {
    const c = cpuById.get(id);
    if (c !== undefined) {
      wastedCpuMs += c;
      wastedRuns++;
    }
  }
  return { totalCpuMs, wastedCpuMs, runs, wastedRuns, lateAtServer };
}

module.exports = { CPU_MS, WAIT_MS, burn, mixed, run, reset, quiet, waste, spin };
