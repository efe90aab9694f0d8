'use strict';
// What gets measured, and for how long. Two profiles: the full run (docs,
// RESULTS.md) and --quick (CI smoke test, Rivet and the raw bound only).

const PROFILES = {
  full: {
    reps: 3,
    warmupMs: 1500,
    durationMs: 3000,
    maxCalls: 2_000_000,
    fanInConnections: 1000,
    soakCalls: 1_000_000,
    soakWarmupCalls: 50_000,
    soakTimeoutMs: 150_000,
  },
  quick: {
    reps: 1,
    warmupMs: 300,
    durationMs: 1000,
    maxCalls: 500_000,
    fanInConnections: 250,
    soakCalls: 50_000,
    soakWarmupCalls: 5_000,
    soakTimeoutMs: 15_000,
  },
};

const SYSTEMS = {
  raw: { label: 'raw bound (net + msgpackr)' },
  nest: { label: 'NestJS 11 TCP' },
  moleculer: { label: 'Moleculer 0.14 TCP' },
  grpc: { label: 'gRPC (grpc-js)' },
  rivet: { label: 'Rivet' },
};

/** Workload definitions; `ref` is the raw-bound workload a row is divided by. */
function workloads(p) {
  const timed = { warmupMs: p.warmupMs, durationMs: p.durationMs, maxCalls: p.maxCalls };
  return {
    W1: { id: 'W1', title: '1 in flight, multiply', kind: 'multiply', conns: 1, perConn: 1, ref: 'W1', ...timed },
    W2: { id: 'W2', title: '100 in flight, multiply', kind: 'multiply', conns: 1, perConn: 100, ref: 'W2', ...timed },
    W3: { id: 'W3', title: '1 KB echo, 32 in flight', kind: 'echo', conns: 1, perConn: 32, ref: 'W3', ...timed },
    W4: {
      id: 'W4',
      title: 'full pipeline: 3 servers, 2+2 interceptors, 100 in flight',
      kind: 'multiply', conns: 1, perConn: 100, ref: 'W2', ...timed,
    },
    W5: {
      id: 'W5',
      title: `fan-in: ${p.fanInConnections} connections x 1 in flight`,
      kind: 'multiply', conns: p.fanInConnections, perConn: 1, ref: 'W5', ...timed,
    },
    W6: {
      id: 'W6',
      title: `soak: ${p.soakCalls.toLocaleString('en-US')} calls, 100 in flight`,
      kind: 'multiply', conns: 1, perConn: 100, ref: 'W2',
      warmupMs: 10 * p.warmupMs, warmupCalls: p.soakWarmupCalls,
      durationMs: 0, maxCalls: p.soakCalls, hardTimeoutMs: p.soakTimeoutMs,
      drainBetween: true, heapCheck: true,
    },
  };
}

/**
 * Jobs are the unit of isolation: fresh server process(es) and a fresh client
 * process each. One repetition runs every job once, so systems interleave
 * (A B C D E A B C D E ...) and slow drift of the machine spreads evenly.
 */
function buildPlan({ quick, only }) {
  const p = quick ? PROFILES.quick : PROFILES.full;
  const w = workloads(p);
  const basic = [w.W1, w.W2, w.W3];
  const perRep = [
    { system: 'raw', workloads: basic },
    { system: 'nest', workloads: basic },
    { system: 'moleculer', workloads: basic },
    { system: 'grpc', workloads: basic },
    { system: 'rivet', workloads: basic },
    { system: 'rivet', variant: 'pipeline', servers: 3, serverOptions: { interceptors: 2 }, clientOptions: { interceptors: 2 }, workloads: [w.W4] },
    { system: 'raw', workloads: [w.W5] },
    { system: 'rivet', workloads: [w.W5] },
  ];
  const once = [{ system: 'rivet', workloads: [w.W6] }];
  const allowed = only || (quick ? ['raw', 'rivet'] : Object.keys(SYSTEMS));
  const keep = (job) => allowed.includes(job.system);
  return { profile: p, workloads: w, perRep: perRep.filter(keep), once: once.filter(keep) };
}

module.exports = { PROFILES, SYSTEMS, buildPlan };
