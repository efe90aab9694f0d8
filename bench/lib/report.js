'use strict';
// Turns per-repetition results into the one table (plain text for the
// terminal, Markdown for RESULTS.md) plus the machine description.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { median } = require('./stats');
const { BENCH_DIR, ROOT_DIR } = require('./paths');

const PEER_PACKAGES = [
  '@nestjs/core',
  '@nestjs/microservices',
  'moleculer',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'msgpackr',
];
const FAN_IN_RSS_GOAL_MB = 150;
const MAX_ERROR_CHARS = 110;

function readVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function gitRevision() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'ignore'] });
    return rev.toString().trim();
  } catch {
    return 'no commit';
  }
}

/** @param {number[]} loadAtStart os.loadavg() before the run added its own load */
function machineInfo(loadAtStart) {
  const cpus = os.cpus();
  const versions = { 'rivet-rpc': `${readVersion(ROOT_DIR)} (${gitRevision()})` };
  for (const name of PEER_PACKAGES) versions[name] = readVersion(path.join(BENCH_DIR, 'node_modules', name));
  return {
    cpu: `${cpus[0] ? cpus[0].model.trim() : 'unknown'} x ${cpus.length} cores`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    // Other work on the machine is the largest source of variance; say how busy it was.
    loadavg: loadAtStart.map((x) => x.toFixed(2)).join(' '),
    date: new Date().toISOString(),
    versions,
  };
}

const METRICS = ['callsPerSec', 'p50', 'p99', 'clientCpuPerCall', 'serverCpuPerCall', 'rssIdleMb', 'rssEndMb', 'heapStartMb', 'heapEndMb', 'heapDeltaMb', 'calls', 'rssPeakMb', 'clientRssPeakMb', 'clientRssEndMb'];
const WORST_CASE = ['errors', 'stuck'];

/** Median of each metric over the repetitions that succeeded (worst case for errors). */
function aggregate(samples) {
  const ok = samples.filter((s) => !s.error);
  if (ok.length === 0) return { error: samples[0] ? samples[0].error : 'not run', reps: samples.length, failed: samples.length };
  const out = { reps: samples.length, failed: samples.length - ok.length };
  for (const m of METRICS) if (ok.some((s) => m in s)) out[m] = median(ok.map((s) => s[m]));
  // A median would hide errors that happened in only one repetition.
  for (const m of WORST_CASE) out[m] = Math.max(0, ...ok.map((s) => s[m] || 0));
  out.stoppedBy = ok.map((s) => s.stoppedBy).includes('time') ? 'time' : 'count';
  out.firstError = (ok.find((s) => s.firstError) || {}).firstError;
  out.systemNote = (ok.find((s) => s.systemNote) || {}).systemNote;
  return out;
}

const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-'),
  fixed: (d) => (v) => (Number.isFinite(v) ? v.toFixed(d) : '-'),
};

function notesFor(w, r) {
  const notes = [];
  if (r.failed) notes.push(`${r.failed}/${r.reps} reps failed`);
  if (r.errors) notes.push(`${fmt.int(r.errors)} errors (${String(r.firstError).slice(0, 60)})`);
  else if (w.id === 'W5') notes.push('0 errors');
  if (r.stuck) notes.push(`${fmt.int(r.stuck)} calls never completed`);
  if (w.id === 'W5') notes.push(`RSS ${r.rssEndMb <= FAN_IN_RSS_GOAL_MB ? 'within' : 'OVER'} ${FAN_IN_RSS_GOAL_MB} MB goal`);
  if (w.stream) {
    notes.push(`${fmt.int(r.calls)} msgs; RSS peak srv ${fmt.int(r.rssPeakMb)} MB, cli ${fmt.int(r.clientRssPeakMb)} MB (end ${fmt.int(r.clientRssEndMb)})`);
  }
  if (r.systemNote) notes.push(r.systemNote);
  if (w.heapCheck) {
    const sign = r.heapDeltaMb >= 0 ? '+' : '';
    notes.push(`heap after GC ${fmt.fixed(1)(r.heapStartMb)} -> ${fmt.fixed(1)(r.heapEndMb)} MB (${sign}${fmt.fixed(2)(r.heapDeltaMb)} MB)`);
    notes.push(`${fmt.int(r.calls)} calls`);
    if (r.stoppedBy === 'time') notes.push('stopped at time cap');
  }
  return notes.join('; ');
}

const HEADERS = ['Workload', 'System', 'calls/s', 'x bound', 'p50 µs', 'p99 µs', 'CPU µs/call cli', 'CPU µs/call srv', 'srv RSS MB idle/end', 'Notes'];

/**
 * @param {Array<{w: object, label: string, system: string, result: object}>} rows in display order
 * @param {(w: object) => number} boundRate raw-bound calls/s for a workload's reference
 */
function tableRows(rows, boundRate) {
  return rows.map(({ w, label, result: r }) => {
    if (r.error) return [w.id, label, `error: ${String(r.error).replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS)}`, '', '', '', '', '', '', ''];
    const ref = boundRate(w);
    return [
      w.id,
      label,
      fmt.int(r.callsPerSec),
      Number.isFinite(ref) ? `${(r.callsPerSec / ref).toFixed(2)}${w.ref !== w.id ? ` (vs ${w.ref})` : ''}` : '-',
      fmt.int(r.p50),
      fmt.int(r.p99),
      fmt.fixed(1)(r.clientCpuPerCall),
      fmt.fixed(1)(r.serverCpuPerCall),
      `${fmt.int(r.rssIdleMb)} / ${fmt.int(r.rssEndMb)}`,
      notesFor(w, r),
    ];
  });
}

function textTable(cells, headers = HEADERS) {
  const numeric = headers === HEADERS ? (i) => i >= 2 && i <= 8 : (i) => i >= 3 && i < headers.length - 1;
  const all = [headers, ...cells];
  // Error messages live in the calls/s column; they must not widen it for every row.
  const isError = (r) => r.some((c) => /^error/.test(String(c)));
  const widths = headers.map((_, i) => Math.max(...all.filter((r) => !isError(r) || !/^error/.test(String(r[i]))).map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (numeric(i) && !isError(r) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((n) => '-'.repeat(n)).join('  '), ...cells.map(line)].join('\n');
}

function markdownTable(cells, headers = HEADERS) {
  const numeric = headers === HEADERS ? (i) => i >= 2 && i <= 8 : (i) => i >= 3 && i < headers.length - 1;
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  const align = headers.map((_, i) => (numeric(i) ? '---:' : '---'));
  return [headers, align, ...cells].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
}

const OVERLOAD_HEADERS = ['Handler', 'System', 'load', 'C/s', 'offered/s', 'sent/s', 'goodput/s', 'x C', 'p50 ms', 'p99 ms', 'p99.9 ms', 'rejected (p50 ms)', 'timed out', 'wasted', 'peak RSS MB', 'Notes'];

/** W9 rows: one per system, handler and load point. */
function overloadCells(rows) {
  const ms = fmt.fixed(1);
  return rows.map(({ label, variant, point, result: r }) => {
    const handler = variant === 'mixed' ? '1 ms CPU + 5 ms wait' : '2 ms CPU';
    if (r.error) return [handler, label, point.label, `error: ${String(r.error).replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS)}`, '', '', '', '', '', '', '', '', '', '', '', ''];
    const notes = [];
    if ('recoveryMs' in r) {
      notes.push(Number.isFinite(r.recoveryMs) ? `recovered in ${fmt.int(r.recoveryMs)} ms` : r.note || `p99 not back to baseline within ${fmt.int(r.windowMs)} ms`);
      if (Number.isFinite(r.baseline) && !r.note) notes.push(`1x baseline p99 ${ms(r.baseline)} ms, ${fmt.fixed(1)(100 * r.baselineFailed)}% failed`);
      notes.push(`goodput at 4x ${fmt.int(r.goodputAtPeak)}/s (${fmt.fixed(2)(r.goodputAtPeak / r.capacity)} C)`);
    }
    if (r.late) notes.push(`${fmt.int(r.late)} late replies`);
    if (r.lost) notes.push(`${fmt.int(r.lost)} never answered`);
    if (r.behind) notes.push('GENERATOR BEHIND');
    if (r.lagP99 > 5) notes.push(`send lag p99 ${ms(r.lagP99)} ms`);
    if (r.overCap) notes.push(`${fmt.int(r.overCap)} arrivals over the record cap`);
    if (!r.quiet) notes.push(`server still busy ${fmt.int(r.quietWaitMs)} ms after the point`);
    else if (r.quietWaitMs > 1000) notes.push(`server busy ${fmt.int(r.quietWaitMs)} ms after the point`);
    if (r.lateAtServer) notes.push(`${fmt.int(r.lateAtServer)} handlers ended past their deadline`);
    // The first error of each kind, as the client saw it (3 = rejected, 2 = timed out, 4 = never answered).
    const e = r.firstErrors || {};
    if (e[3]) notes.push(`rejected e.g. ${e[3].slice(0, 70)}`);
    if (e[2]) notes.push(`timed out e.g. ${e[2].slice(0, 50)}`);
    if (r.systemNote) notes.push(r.systemNote);
    return [
      handler,
      label,
      point.label,
      fmt.int(r.capacity),
      fmt.int(r.offeredPerSec),
      fmt.int(r.sentPerSec),
      fmt.int(r.goodput),
      fmt.fixed(2)(r.fractionOfC),
      ms(r.p50),
      ms(r.p99),
      ms(r.p999),
      r.rejected ? `${fmt.int(r.rejected)} (${ms(r.rejectP50)})` : '0',
      fmt.int(r.timeouts),
      `${fmt.fixed(1)(100 * r.wastedFraction)}%`,
      fmt.int(r.rssPeakMb),
      notes.join('; '),
    ];
  });
}

/**
 * The targets of the streaming and overload issues, checked on the Rivet rows
 * (defaults) of this run. Returns lines for the terminal and the report.
 */
function targetLines({ rows, overloadRows }) {
  const lines = [];
  const pct = (x) => `${(100 * x).toFixed(0)}%`;
  const check = (what, value, ok) => lines.push(`${what}: ${value} -> ${ok === null ? 'n/a' : ok ? 'met' : 'NOT met'}`);
  const row = (system, id) => rows.find((r) => r.system === system && r.w.id === id && !r.key.includes(':'));
  const rate = (r) => (r && !r.result.error ? r.result.callsPerSec : NaN);
  for (const id of ['W7']) {
    const rv = rate(row('rivet', id));
    const raw = rate(row('raw', id));
    const grpc = rate(row('grpc', id));
    if (!row('rivet', id)) continue;
    if (!Number.isFinite(rv)) {
      check(`${id} Rivet`, `no result (${String(row('rivet', id).result.error).slice(0, 80)})`, null);
      continue;
    }
    if (id === 'W7' && Number.isFinite(raw)) check('W7 Rivet >= 0.80x the bound', `${(rv / raw).toFixed(2)}x`, rv / raw >= 0.8);
    if (id === 'W7' && Number.isFinite(grpc)) check('W7 Rivet >= 5x grpc-js', `${(rv / grpc).toFixed(1)}x`, rv / grpc >= 5);
  }
  const w9 = (label) => overloadRows.find((r) => r.key === 'rivet' && r.variant === 'burn' && r.point.label === label && !r.result.error);
  const at = (label, fn) => {
    const r = w9(label);
    return r ? fn(r.result) : null;
  };
  if (overloadRows.some((r) => r.key === 'rivet')) {
    const g2 = at('2x', (r) => r.fractionOfC);
    if (g2 !== null) check('W9 Rivet goodput >= 95% of C at 2x', pct(g2), g2 >= 0.95);
    const g4 = at('4x', (r) => r.fractionOfC);
    if (g4 !== null) check('W9 Rivet goodput >= 90% of C at 4x', pct(g4), g4 >= 0.9);
    const p4 = at('4x', (r) => r.p99);
    if (p4 !== null) check('W9 Rivet p99 of successes <= 30 ms at 4x', `${Number.isFinite(p4) ? p4.toFixed(1) : '-'} ms`, p4 <= 30);
    const wasted = Math.max(...overloadRows.filter((r) => r.key === 'rivet' && r.variant === 'burn' && !r.result.error).map((r) => r.result.wastedFraction));
    if (Number.isFinite(wasted)) check('W9 Rivet wasted work <= 2% (worst point)', `${(100 * wasted).toFixed(1)}%`, wasted <= 0.02);
    const rej = at('0.8x', (r) => r.rejected + r.timeouts);
    if (rej !== null) check('W9 Rivet 0 rejections at 0.8x', `${rej} rejected or timed out`, rej === 0);
    const rec = at('step 1x>4x>1x', (r) => r.recoveryMs);
    const step = w9('step 1x>4x>1x');
    if (step && step.result.note) check('W9 Rivet back to baseline p99 within 1 s after the step', step.result.note, null);
    else if (rec !== null) check('W9 Rivet back to baseline p99 within 1 s after the step', Number.isFinite(rec) ? `${Math.round(rec)} ms` : 'not recovered', Number.isFinite(rec) && rec <= 1000);
  }
  return lines;
}

const OVERLOAD_NOTES = `W9: C is each system's own capacity, measured first with a closed loop (one call in flight per connection, 64 connections); the load points offer multiples of it as open-loop Poisson arrivals from two client processes. goodput counts calls that succeeded within their 100 ms deadline (judged from when each was sent), per second of the point, and "x C" divides it by C. Latencies of successes are measured from each call's scheduled arrival. "rejected" are errors returned before the deadline, with the median time to reject; "timed out" hit the deadline. "wasted" is the handler CPU spent on calls that did not succeed in time over all handler CPU in the point (the server keeps each call's CPU by id; the clients hand over the ids that failed). sent/s is what the generator really sent over the time it took to send it; it differs from offered/s by Poisson noise (about 1/sqrt(calls)), and "GENERATOR BEHIND" marks a point where sending took over 3% longer than the point (the client could not keep up with its own schedule); "send lag" is how late calls left against their scheduled arrival. Peak RSS is the server's, sampled every 25 ms. The step row offers 1x, 4x, 1x; recovery is the time after the step down from which every rolling 250 ms window (by arrival) has a p99 of successes within 1.25x (or +2 ms) of the first 1x phase's and at most twice its share of failed calls (or 2%).`;

function legend(workloads) {
  return Object.values(workloads).map((w) => `${w.id}: ${w.title}`);
}

function markdownReport({ cells, machine, workloads, profile, quick, wallSeconds, overload, targets }) {
  const targetSection = targets && targets.length ? `\n## Targets (streaming and overload issues)\n\n${targets.map((l) => `- ${l}`).join('\n')}\n` : '';
  const overloadSection = overload && overload.length
    ? `\n## W9, overload\n\n${markdownTable(overload, OVERLOAD_HEADERS)}\n\n${OVERLOAD_NOTES}\n`
    : '';
  const v = Object.entries(machine.versions).map(([k, val]) => `\`${k}\` ${val}`).join(', ');
  return `# Rivet benchmark results

Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${machine.date}; see [README.md](README.md) for the method.

- Machine: ${machine.cpu}, ${machine.memory} RAM, ${machine.os}
- Node: ${machine.node}
- Load average (1/5/15 min) before the run: ${machine.loadavg}
- Packages: ${v}
- Method: ${profile.reps} repetition(s) interleaved across systems, median reported; warm-up ${profile.warmupMs} ms, window ${profile.durationMs} ms; total wall time ${wallSeconds} s

${cells.length ? markdownTable(cells) : '(no call/stream workload in this run)'}

${legend(workloads).map((l) => `- ${l}`).join('\n')}

"x bound" is calls/s divided by the raw bound's calls/s on the same workload (W4 and W6 are divided by the bound's W2).
CPU µs/call is process CPU time (user + system) over the measured window divided by the calls completed in it; for W4 the server figure is the sum over the three servers.
RSS is the server's resident set size in MB at start-up and at the end of the measured window (W4: the largest of the three servers).
For W7 and W8 "calls/s" is messages/s, CPU is per message, and the notes give peak RSS of both processes during the streams (sampled every 25 ms); the raw bound streams the same messages with the same credit window (32 messages / 1 MiB, credit returned at half the window).
${overloadSection}${targetSection}`;
}

module.exports = { machineInfo, aggregate, tableRows, textTable, markdownReport, legend, overloadCells, targetLines, OVERLOAD_HEADERS, OVERLOAD_NOTES };
