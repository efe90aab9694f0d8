#!/usr/bin/env node
'use strict';
// Benchmark orchestrator: `npm run bench` (full) or `npm run bench -- --quick`.
// Runs one system at a time (the reference machine has 2 cores), repetitions
// interleaved across systems, and reports medians. See bench/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCH_DIR, RESULTS_DIR } = require('./lib/paths');
const { ensureDeps, buildRivet } = require('./lib/setup');
const { buildPlan, SYSTEMS } = require('./lib/plan');
const { runJob } = require('./lib/job');
const { runOverloadJob } = require('./lib/overload');
const { machineInfo, aggregate, tableRows, textTable, markdownReport, legend, overloadCells, targetLines, OVERLOAD_HEADERS } = require('./lib/report');

const WORKLOAD_IDS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8', 'W9'];
const USAGE = `usage: node bench/run.js [--quick] [--reps=N] [--only=raw,nest,moleculer,grpc,rivet] [--workloads=W1,...,W9] [--no-build] [--no-install]`;

function parseArgs(argv) {
  const args = { quick: false, build: true, install: true, reps: null, only: null, workloads: null };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a === '--no-build') args.build = false;
    else if (a === '--no-install') args.install = false;
    else if (a.startsWith('--reps=')) args.reps = Math.max(1, Number(a.slice(7)) | 0);
    else if (a.startsWith('--only=')) args.only = a.slice(7).split(',').filter(Boolean);
    else if (a.startsWith('--workloads=')) args.workloads = a.slice(12).split(',').filter(Boolean).map((x) => x.toUpperCase());
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (args.only) {
    const bad = args.only.filter((s) => !SYSTEMS[s]);
    if (bad.length) {
      console.error(`unknown system(s): ${bad.join(', ')}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (args.workloads) {
    const bad = args.workloads.filter((x) => !WORKLOAD_IDS.includes(x));
    if (bad.length) {
      console.error(`unknown workload(s): ${bad.join(', ')}\n${USAGE}`);
      process.exit(2);
    }
  }
  return args;
}

const log = (s) => process.stderr.write(`[bench] ${s}\n`);

function jobKey(job) {
  return job.variant ? `${job.system}:${job.variant}` : job.system;
}

function jobLabel(job) {
  return SYSTEMS[job.system].label + (job.variant === 'pipeline' ? ', full pipeline' : '');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = os.loadavg();
  if (args.install) ensureDeps(log);
  if (args.build && (!args.only || args.only.includes('rivet'))) buildRivet(log);

  const plan = buildPlan({ quick: args.quick, only: args.only, workloads: args.workloads });
  const reps = args.reps || plan.profile.reps;
  plan.profile.reps = reps;
  const samples = new Map(); // `${jobKey}|${workload}` -> per-repetition results
  const record = (job, res) => {
    for (const w of job.workloads) {
      const k = `${jobKey(job)}|${w.id}`;
      if (!samples.has(k)) samples.set(k, []);
      samples.get(k).push(res[w.id]);
    }
  };
  const run = async (job, tag) => {
    const t = Date.now();
    const res = await runJob(job);
    const summary = job.workloads
      .map((w) => `${w.id} ${res[w.id].error ? `error: ${res[w.id].error.split('\n')[0].slice(0, 80)}` : `${Math.round(res[w.id].callsPerSec)}/s`}`)
      .join(', ');
    log(`${tag} ${jobLabel(job)}: ${summary} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    record(job, res);
  };

  for (let rep = 1; rep <= reps; rep++) {
    for (const job of plan.perRep) await run(job, `rep ${rep}/${reps}`);
  }
  for (const job of plan.once) await run(job, 'once');

  const overloadRows = [];
  const capacities = new Map(); // a tuned row reuses its framework's plain-row C
  for (const job of plan.overload) {
    const t = Date.now();
    log(`W9 ${job.label} ...`);
    const rows = await runOverloadJob(job, plan.workloads.W9, log, capacities);
    const failed = rows.find((r) => r.result.error);
    log(`W9 ${job.label}: ${failed ? `error: ${failed.result.error.split('\n')[0].slice(0, 100)}` : `${rows.length} points`} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    // A row that could not get its configuration says so in its name, not only in its notes.
    const fellBack = rows.some((r) => /not supported by this build/.test(r.result.systemNote || ''));
    for (const r of rows) overloadRows.push({ ...r, label: fellBack ? `${job.label} [unsupported: ran defaults]` : job.label, key: job.key });
  }

  // Display order: by workload, then the order systems appear in the plan.
  const jobs = [...plan.perRep, ...plan.once];
  const rows = [];
  for (const w of Object.values(plan.workloads)) {
    for (const job of jobs) {
      if (!job.workloads.some((x) => x.id === w.id)) continue;
      const key = `${jobKey(job)}|${w.id}`;
      if (rows.some((r) => r.key === key)) continue;
      rows.push({ key, w, label: jobLabel(job), system: job.system, result: aggregate(samples.get(key)) });
    }
  }
  const boundRate = (w) => {
    const row = rows.find((r) => r.system === 'raw' && r.w.id === w.ref);
    return row && !row.result.error ? row.result.callsPerSec : NaN;
  };
  const cells = tableRows(rows, boundRate);
  const wallSeconds = Math.round((Date.now() - started) / 1000);

  if (cells.length) console.log(`\n${textTable(cells)}\n`);
  const shown = Object.fromEntries(Object.values(plan.workloads).filter((w) => rows.some((r) => r.w.id === w.id) || (w.id === 'W9' && overloadRows.length)).map((w) => [w.id, w]));
  const overload = overloadCells(overloadRows);
  if (overload.length) console.log(`\nW9, overload (goodput = successes within the deadline; x C = goodput / the system's own capacity)\n${textTable(overload, OVERLOAD_HEADERS)}\n`);
  console.log(legend(shown).join('\n'));
  const targets = targetLines({ rows, overloadRows });
  if (targets.length) console.log(`\nTargets (Rivet rows):\n${targets.map((l) => `  ${l}`).join('\n')}`);

  const machine = machineInfo(loadAtStart);
  const md = markdownReport({ cells, machine, workloads: shown, profile: plan.profile, quick: args.quick, wallSeconds, overload, targets });
  // Only a full, unfiltered run may replace the committed RESULTS.md; smoke and
  // partial runs go to the git-ignored .results/ folder.
  const partial = args.quick || args.only || args.workloads || args.reps !== null;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const target = partial ? path.join(RESULTS_DIR, args.quick ? 'RESULTS-quick.md' : 'RESULTS-partial.md') : path.join(BENCH_DIR, 'RESULTS.md');
  fs.writeFileSync(target, md);
  const overloadJson = overloadRows.map(({ key, variant, point, result }) => ({ key, variant, point: point.label, ...result }));
  fs.writeFileSync(path.join(RESULTS_DIR, 'last.json'), JSON.stringify({ machine, profile: plan.profile, rows: rows.map(({ key, result }) => ({ key, ...result })), overload: overloadJson }, null, 2));
  log(`wrote ${path.relative(process.cwd(), target) || target} in ${wallSeconds} s total`);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
