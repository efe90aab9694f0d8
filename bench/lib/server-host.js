'use strict';
// Runs inside every forked server process: starts the system, reports its port,
// and answers the parent's measurement requests over IPC so the parent never
// has to trust numbers it cannot see (RSS, heap, CPU of another process).

const work = require('./work');

// Peak RSS between two reads: sampled on a timer because a burst (a stream's
// buffers, an overload backlog) can come and go between the parent's snapshots.
const PEAK_SAMPLE_MS = 25;
let rssPeak = 0;
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > rssPeak) rssPeak = rss;
}, PEAK_SAMPLE_MS).unref();

function stats(resetPeak) {
  const mem = process.memoryUsage();
  const out = { rss: mem.rss, rssPeak: Math.max(rssPeak, mem.rss), heapUsed: mem.heapUsed, cpu: process.cpuUsage() };
  if (resetPeak) rssPeak = mem.rss;
  return out;
}

async function collectGarbage() {
  if (typeof global.gc !== 'function') throw new Error('server was not started with --expose-gc');
  // Two passes with a turn of the event loop between them let weak callbacks
  // and finalizers run, so the second heap figure is stable.
  global.gc();
  await new Promise((resolve) => setImmediate(resolve));
  global.gc();
  return stats();
}

/**
 * @param {(options: object) => Promise<{port: number, close: () => Promise<void>, note?: string}>} start
 *   `note` says how the system really ran when it had to fall back (shown in the report)
 */
function serve(start) {
  const options = JSON.parse(process.argv[2] || '{}');
  let handle = null;

  const exit = async (code) => {
    try {
      if (handle) await Promise.race([handle.close(), new Promise((r) => setTimeout(r, 2000))]);
    } finally {
      process.exit(code);
    }
  };

  process.on('message', async (msg) => {
    try {
      if (msg.type === 'stats') process.send({ type: 'reply', seq: msg.seq, body: stats(msg.resetPeak) });
      // W9's ledger: reset before a load point, wait for the backlog to clear, sum wasted CPU.
      else if (msg.type === 'ledger-reset') {
        work.reset();
        process.send({ type: 'reply', seq: msg.seq, body: stats(true) });
      } else if (msg.type === 'ledger-quiet') process.send({ type: 'reply', seq: msg.seq, body: await work.quiet(msg.idleMs, msg.maxMs) });
      else if (msg.type === 'ledger-waste') process.send({ type: 'reply', seq: msg.seq, body: { ...work.waste(msg.ids), ...stats(false) } });
      else if (msg.type === 'gc') process.send({ type: 'reply', seq: msg.seq, body: await collectGarbage() });
      else if (msg.type === 'close') await exit(0);
    } catch (err) {
      process.send({ type: 'reply', seq: msg.seq, error: String(err && err.message) });
    }
  });
  // An orphaned server would skew the next system's numbers: die with the parent.
  process.on('disconnect', () => exit(0));

  start(options).then(
    (h) => {
      handle = h;
      process.send({ type: 'ready', port: h.port, note: h.note });
    },
    (err) => {
      process.send({ type: 'fatal', message: String((err && err.message) || err) }, () => process.exit(1));
    },
  );
}

module.exports = { serve };
