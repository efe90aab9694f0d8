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
    streamMessages: 1_000_000,
    streamWarmup: 50_000,
    manyStreams: 100,
    manyStreamMessages: 10_000,
    streamTimeoutMs: 90_000,
    overload: {
      calibration: { warmupMs: 400, durationMs: 1200 },
      pointMs: 1250,
      step: [1000, 1000, 1500],
      factors: [0.8, 1, 2, 4],
      mixedFactors: [1, 4],
    },
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
    streamMessages: 100_000,
    streamWarmup: 10_000,
    manyStreams: 10,
    manyStreamMessages: 2_000,
    streamTimeoutMs: 20_000,
    overload: {
      calibration: { warmupMs: 300, durationMs: 1000 },
      pointMs: 1000,
      step: [600, 600, 1200],
      factors: [1, 4],
      mixedFactors: [],
    },
  },
};

/** W9's shape, shared by both profiles (see README "W9"). */
const OVERLOAD = { connections: 64, timeoutMs: 100 };

const SYSTEMS = {
  raw: { label: 'raw bound (net + msgpackr)' },
  nest: { label: 'NestJS 11 TCP' },
  moleculer: { label: 'Moleculer 0.14 TCP' },
  grpc: { label: 'gRPC (grpc-js)' },
  rivet: { label: 'Rivet' },
};

/** W9's rows: each system as shipped, and with its overload knobs where it has some. */
// A tuned row reuses the capacity C measured on its framework's plain row
// (capacityFrom), so both rows of a framework get the very same offered load,
// and C never comes from a closed loop whose excess calls are being rejected
// (a rejecting server spends its CPU on rejections the loop keeps re-sending,
// which understates what it can do).
const OVERLOAD_JOBS = [
  { system: 'rivet', key: 'rivet:no-admission', label: 'Rivet, admission: false', serverOptions: { admission: false } },
  { system: 'rivet', key: 'rivet', label: 'Rivet (defaults)', capacityFrom: 'rivet:no-admission' },
  // The ablation (docs/overload.md): each row adds one part of admission to the one before; the
  // defaults row above has them all (load reports change nothing against W9's single server).
  {
    system: 'rivet', key: 'rivet:abl-deadline', label: 'Rivet ablation: deadline checks only', capacityFrom: 'rivet:no-admission',
    serverOptions: { admissionParts: { queueDiscipline: false, adaptiveLimit: false, backstop: false, loadReports: false } },
  },
  {
    system: 'rivet', key: 'rivet:abl-discipline', label: 'Rivet ablation: + queue discipline', capacityFrom: 'rivet:no-admission',
    serverOptions: { admissionParts: { adaptiveLimit: false, backstop: false, loadReports: false } },
  },
  {
    system: 'rivet', key: 'rivet:abl-limit', label: 'Rivet ablation: + adaptive limit, backstop', capacityFrom: 'rivet:no-admission',
    serverOptions: { admissionParts: { loadReports: false } }, clientOptions: { throttle: false },
  },
  {
    system: 'rivet', key: 'rivet:abl-throttle', label: 'Rivet ablation: + client throttling', capacityFrom: 'rivet:no-admission',
    serverOptions: { admissionParts: { loadReports: false } },
  },
  { system: 'nest', key: 'nest', label: 'NestJS 11 TCP' },
  { system: 'moleculer', key: 'moleculer', label: 'Moleculer 0.14 (defaults)' },
  { system: 'moleculer', key: 'moleculer:bulkhead', label: 'Moleculer 0.14, bulkhead tuned', serverOptions: { bulkhead: true }, capacityFrom: 'moleculer' },
  { system: 'grpc', key: 'grpc', label: 'gRPC (grpc-js, defaults)' },
  { system: 'grpc', key: 'grpc:mcs', label: 'gRPC, max_concurrent_streams 2', serverOptions: { maxConcurrentStreams: 2 }, capacityFrom: 'grpc' },
];

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
    W7: {
      id: 'W7',
      title: `one server stream of ${p.streamMessages.toLocaleString('en-US')} messages (msgs/s)`,
      stream: true, streams: 1, messages: p.streamMessages, warmupMessages: p.streamWarmup, ref: 'W7',
      warmupMs: 0, durationMs: 0, hardTimeoutMs: p.streamTimeoutMs,
    },
    W8: {
      id: 'W8',
      title: `${p.manyStreams} concurrent server streams of ${p.manyStreamMessages.toLocaleString('en-US')} messages (msgs/s)`,
      stream: true, streams: p.manyStreams, messages: p.manyStreamMessages, warmupMessages: p.streamWarmup / 5, ref: 'W8',
      warmupMs: 0, durationMs: 0, hardTimeoutMs: p.streamTimeoutMs,
    },
    W9: overloadWorkload(p.overload),
  };
}

function overloadWorkload(o) {
  const point = (f) => ({ label: `${f}x`, phases: [{ factor: f, ms: o.pointMs }] });
  const step = { label: 'step 1x>4x>1x', phases: [{ factor: 1, ms: o.step[0] }, { factor: 4, ms: o.step[1] }, { factor: 1, ms: o.step[2] }] };
  const variants = [{ method: 'burn', title: '2 ms CPU', points: [...o.factors.map(point), step] }];
  if (o.mixedFactors.length) variants.push({ method: 'mixed', title: '1 ms CPU + 5 ms wait', points: o.mixedFactors.map(point) });
  const loadMs = variants.reduce((s, v) => s + v.points.reduce((a, pt) => a + pt.phases.reduce((b, ph) => b + ph.ms, 0), 0), 0);
  const calMs = variants.length * (o.calibration.warmupMs + o.calibration.durationMs);
  const points = variants.reduce((s, v) => s + v.points.length, 0);
  return {
    id: 'W9',
    title: `overload: open-loop Poisson arrivals, ${OVERLOAD.timeoutMs} ms deadline, ${OVERLOAD.connections} connections from 2 client processes; load in multiples of the system's own capacity C`,
    ...OVERLOAD,
    calibration: o.calibration,
    variants,
    // Start-up, then per point: its load, the drain, and up to 5 s for a collapsed server to work off its backlog.
    budgetMs: 60_000 + loadMs + calMs + points * 15_000,
  };
}

/**
 * Jobs are the unit of isolation: fresh server process(es) and a fresh client
 * process each. One repetition runs every job once, so systems interleave
 * (A B C D E A B C D E ...) and slow drift of the machine spreads evenly.
 */
function buildPlan({ quick, only, workloads: wanted }) {
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
    // Streams: the credit-window bound, grpc-js server streaming, Rivet.
    { system: 'raw', workloads: [w.W7, w.W8] },
    { system: 'grpc', workloads: [w.W7, w.W8] },
    { system: 'rivet', workloads: [w.W7, w.W8] },
  ];
  const once = [{ system: 'rivet', workloads: [w.W6] }];
  const allowed = only || (quick ? ['raw', 'rivet'] : Object.keys(SYSTEMS));
  const keepSystem = (job) => allowed.includes(job.system);
  const keepWorkloads = (job) => (wanted ? { ...job, workloads: job.workloads.filter((x) => wanted.includes(x.id)) } : job);
  const keep = (jobs) => jobs.filter(keepSystem).map(keepWorkloads).filter((job) => job.workloads.length > 0);
  // W9 runs once, after the repetitions: each of its jobs is a series of load points already.
  const overload = !wanted || wanted.includes('W9') ? OVERLOAD_JOBS.filter(keepSystem).filter((job) => !quick || job.key === 'rivet') : [];
  return { profile: p, workloads: w, perRep: keep(perRep), once: keep(once), overload };
}

module.exports = { PROFILES, SYSTEMS, OVERLOAD_JOBS, buildPlan };
