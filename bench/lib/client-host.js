'use strict';
// Entry point of every forked client process. It loads one system adapter
// (systems/<name>/client.js: connect(addresses, options) -> {call(kind), close()})
// and runs the workloads the parent sends, one at a time.
const path = require('node:path');
const { runClosedLoop } = require('./load');
const { checkResult } = require('./payloads');
const { cpuMicros } = require('./stats');
const openLoop = require('./open-loop');

// Peak RSS of this client, sampled like the server's (streams buffer on the consumer side).
let rssPeak = 0;
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > rssPeak) rssPeak = rss;
}, 25).unref();

const CONNECT_BATCH = 50; // stays well under the server's listen backlog

const options = JSON.parse(process.argv[2] || '{}');
const adapter = require(path.join(__dirname, '..', 'systems', options.system, 'client.js'));

let shared = null; // single-connection workloads reuse one connection
let markSeq = 0;
const markAcks = new Map();

function reply(seq, body, error) {
  process.send({ type: 'reply', seq, body, error });
}

function mark(phase) {
  const id = ++markSeq;
  return new Promise((resolve) => {
    markAcks.set(id, resolve);
    process.send({ type: 'mark', phase, id });
  });
}

async function openConnections(count) {
  const conns = [];
  let connectErrors = 0;
  let firstError = null;
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, () =>
      adapter.connect(options.addresses, options.clientOptions || {}),
    );
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === 'fulfilled') conns.push(r.value);
      else {
        connectErrors++;
        if (!firstError) firstError = String((r.reason && r.reason.message) || r.reason);
      }
    }
  }
  return { conns, connectErrors, firstError };
}

/** W7/W8: `streams` concurrent server streams of `messages` each on one connection. */
async function runStreams(w) {
  if (!shared) shared = await adapter.connect(options.addresses, options.clientOptions || {});
  const conn = shared;
  if (typeof conn.consume !== 'function') throw new Error(`not supported: the ${options.system} adapter has no server streaming`);
  const withCap = (p, ms, what) => {
    let timer;
    const cap = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} not finished after ${ms} ms`)), ms);
    });
    return Promise.race([p, cap]).finally(() => clearTimeout(timer));
  };
  const got = await withCap(conn.consume(w.warmupMessages), w.hardTimeoutMs, 'warm-up stream');
  if (got !== w.warmupMessages) throw new Error(`warm-up stream delivered ${got} of ${w.warmupMessages} messages`);
  await mark('start');
  rssPeak = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const counts = await withCap(Promise.all(Array.from({ length: w.streams }, () => conn.consume(w.messages))), w.hardTimeoutMs, 'measured streams');
  const elapsedMs = performance.now() - t0;
  const clientCpuUs = cpuMicros(process.cpuUsage(cpu0));
  const peak = Math.max(rssPeak, process.memoryUsage.rss());
  await mark('end');
  const calls = counts.reduce((a, b) => a + b, 0);
  const expected = w.streams * w.messages;
  return {
    calls,
    elapsedMs,
    callsPerSec: calls / (elapsedMs / 1000),
    p50: NaN,
    p99: NaN,
    errors: calls === expected ? 0 : 1,
    firstError: calls === expected ? null : `received ${calls} of ${expected} messages`,
    clientCpuUs,
    stoppedBy: 'count',
    stuck: 0,
    clientRssPeak: peak,
    clientRssEnd: process.memoryUsage.rss(),
  };
}

async function runWorkload(w) {
  if (w.stream) return runStreams(w);
  let opened;
  if (w.conns === 1) {
    if (!shared) shared = await adapter.connect(options.addresses, options.clientOptions || {});
    opened = { conns: [shared], connectErrors: 0, firstError: null };
  } else {
    opened = await openConnections(w.conns);
  }
  if (opened.conns.length === 0) throw new Error(`no connection could be opened: ${opened.firstError}`);
  try {
    const sample = await opened.conns[0].call(w.kind);
    if (!checkResult(w.kind, sample)) throw new Error(`wrong ${w.kind} result: ${String(sample).slice(0, 60)}`);
    const result = await runClosedLoop({
      ...w,
      conns: opened.conns,
      samples: new Float64Array(w.maxCalls),
      mark,
    });
    result.connections = opened.conns.length;
    result.errors += opened.connectErrors;
    result.firstError = result.firstError || opened.firstError;
    return result;
  } finally {
    if (opened.conns[0] !== shared) {
      await Promise.allSettled(opened.conns.map((c) => c.close()));
    }
  }
}

process.on('message', async (msg) => {
  if (msg.type === 'mark-ack') {
    const resolve = markAcks.get(msg.id);
    markAcks.delete(msg.id);
    if (resolve) resolve();
  } else if (msg.type === 'run') {
    try {
      reply(msg.seq, await runWorkload(msg.workload));
    } catch (err) {
      reply(msg.seq, undefined, String((err && err.message) || err));
    }
  } else if (msg.type.startsWith('ol-')) {
    // W9's open-loop generator (lib/open-loop.js)
    try {
      reply(msg.seq, await openLoop.handle(msg, adapter, options));
    } catch (err) {
      reply(msg.seq, undefined, String((err && err.message) || err));
    }
  } else if (msg.type === 'close') {
    await openLoop.closeAll();
    const s = shared;
    shared = null;
    await Promise.race([s ? s.close() : null, new Promise((r) => setTimeout(r, 2000))]).catch(() => {});
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
