'use strict';
// Runs one job: start the server process(es), start one client process, run
// the job's workloads in order, and join client-side numbers with the
// server-side snapshots taken at the edges of each measured window.
const path = require('node:path');
const { Child } = require('./proc');
const { cpuMicros } = require('./stats');

const SYSTEMS_DIR = path.join(__dirname, '..', 'systems');
const CLIENT_HOST = path.join(__dirname, 'client-host.js');
const START_TIMEOUT_MS = 30_000;
const MB = 1024 * 1024;

function workloadBudgetMs(w) {
  const window = w.durationMs > 0 ? w.durationMs : w.hardTimeoutMs * (w.stream ? 2 : 1); // streams: warm-up + window, each capped
  // warm-up + window + connection setup + drain + slack for slow systems
  return w.warmupMs + window + 20_000;
}

async function startServers(job, children) {
  const servers = [];
  for (let i = 0; i < (job.servers || 1); i++) {
    const child = new Child(path.join(SYSTEMS_DIR, job.system, 'server.js'), job.serverOptions || {}, {
      execArgv: ['--expose-gc'],
    });
    servers.push(child);
    children.push(child);
    const msg = await child.waitFor(['ready', 'fatal'], START_TIMEOUT_MS, `${job.system} server start`);
    if (msg.type === 'fatal') throw new Error(msg.message);
    child.port = msg.port;
    child.note = msg.note;
  }
  return servers;
}

async function measureWorkload(client, servers, w) {
  const snaps = {};
  const offMark = client.on('mark', (msg) => {
    // The soak's edges compare heaps after a forced GC; other windows only
    // need CPU and RSS, which must not pause the server.
    const type = w.heapCheck ? 'gc' : 'stats';
    snaps[msg.phase] = Promise.all(servers.map((s) => s.request({ type, resetPeak: msg.phase === 'start' }, 20_000)));
    snaps[msg.phase].then(
      () => client.send({ type: 'mark-ack', id: msg.id }),
      () => client.send({ type: 'mark-ack', id: msg.id }),
    );
  });
  try {
    const r = await client.request({ type: 'run', workload: w }, workloadBudgetMs(w));
    if (w.stream && r.calls === 0) throw new Error(r.firstError || 'no message received');
    const [start, end] = await Promise.all([snaps.start, snaps.end]);
    const serverCpuUs = end.reduce((sum, s, i) => sum + cpuMicros(s.cpu) - cpuMicros(start[i].cpu), 0);
    const out = {
      callsPerSec: r.callsPerSec,
      p50: r.p50,
      p99: r.p99,
      calls: r.calls,
      errors: r.errors,
      firstError: r.firstError,
      stoppedBy: r.stoppedBy,
      stuck: r.stuck,
      connections: r.connections,
      clientCpuPerCall: r.calls ? r.clientCpuUs / r.calls : NaN,
      serverCpuPerCall: r.calls ? serverCpuUs / r.calls : NaN,
      rssEndMb: Math.max(...end.map((s) => s.rss)) / MB,
    };
    if (w.stream) {
      out.rssPeakMb = Math.max(...end.map((s) => s.rssPeak)) / MB;
      out.clientRssPeakMb = r.clientRssPeak / MB;
      out.clientRssEndMb = r.clientRssEnd / MB;
    }
    if (w.heapCheck) {
      out.heapStartMb = start[0].heapUsed / MB;
      out.heapEndMb = end[0].heapUsed / MB;
      out.heapDeltaMb = out.heapEndMb - out.heapStartMb;
    }
    if (r.calls === 0) throw new Error(`no call completed${r.firstError ? `: ${r.firstError}` : ''}`);
    return out;
  } finally {
    offMark();
  }
}

/**
 * @returns {Promise<Record<string, object>>} per workload id: a result, or {error}
 */
async function runJob(job) {
  const results = {};
  const children = [];
  const budget = START_TIMEOUT_MS * (job.servers || 1) + job.workloads.reduce((s, w) => s + workloadBudgetMs(w), 0);
  // Last line of defence: whatever hangs, the job ends and its processes die.
  let expired = false;
  const killer = setTimeout(() => {
    expired = true;
    for (const c of children) c.kill();
  }, budget);
  try {
    const servers = await startServers(job, children);
    const idle = await Promise.all(servers.map((s) => s.request({ type: 'stats' })));
    const rssIdleMb = Math.max(...idle.map((s) => s.rss)) / MB;
    const client = new Child(CLIENT_HOST, {
      system: job.system,
      addresses: servers.map((s) => `127.0.0.1:${s.port}`),
      clientOptions: job.clientOptions || {},
    });
    const notes = servers.map((s) => s.note).filter(Boolean);
    children.push(client);
    await client.waitFor('ready', START_TIMEOUT_MS, `${job.system} client start`);
    for (const w of job.workloads) {
      try {
        results[w.id] = { rssIdleMb, ...(await measureWorkload(client, servers, w)) };
        if (notes.length) results[w.id].systemNote = notes[0];
      } catch (err) {
        results[w.id] = { error: expired ? `hard timeout after ${budget} ms` : err.message };
      }
    }
  } catch (err) {
    const message = expired ? `hard timeout after ${budget} ms` : err.message;
    for (const w of job.workloads) if (!results[w.id]) results[w.id] = { error: message };
  } finally {
    clearTimeout(killer);
    await Promise.all(children.map((c) => c.stop()));
  }
  return results;
}

module.exports = { runJob };
