'use strict';
// Parent-side control of a forked server or client process. Every wait has a
// timeout and every process can be killed, so a broken system costs one row,
// never the whole run.
const { fork } = require('node:child_process');

const STDERR_TAIL = 2000;

// RIVET_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every server and client process into <dir>
// (open in Chrome DevTools or speedscope): where a row's CPU per call goes, without a quiet machine.
const PROFILE_ARGV = process.env.RIVET_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RIVET_BENCH_CPU_PROF}`] : [];

class Child {
  /**
   * @param {string} file module to fork
   * @param {object} options JSON-serialisable options handed over as argv[2]
   * @param {{execArgv?: string[], cwd?: string}} [spawnOptions]
   */
  constructor(file, options, spawnOptions = {}) {
    this.cp = fork(file, [JSON.stringify(options || {})], {
      cwd: spawnOptions.cwd,
      execArgv: [...PROFILE_ARGV, ...(spawnOptions.execArgv || [])],
      // Output is captured, not inherited, so the final table stays readable;
      // the stderr tail explains a failure.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderr = '';
    this.cp.stdout.resume();
    this.cp.stderr.setEncoding('utf8');
    this.cp.stderr.on('data', (s) => {
      this.stderr = (this.stderr + s).slice(-STDERR_TAIL);
    });
    this.seq = 0;
    this.pending = new Map();
    this.listeners = new Map();
    this.exited = false;
    this.exitPromise = new Promise((resolve) => {
      this.cp.on('exit', (code, signal) => {
        this.exited = true;
        const reason = new Error(this.describeExit(code, signal));
        for (const p of this.pending.values()) p.reject(reason);
        this.pending.clear();
        for (const fns of this.listeners.values()) for (const fn of fns) fn(null, reason);
        resolve({ code, signal });
      });
    });
    this.cp.on('error', () => {}); // surfaced through 'exit' and timeouts
    this.cp.on('message', (msg) => this.dispatch(msg));
  }

  describeExit(code, signal) {
    const tail = this.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    return `process exited (${signal || code})${tail ? `: ${tail}` : ''}`;
  }

  dispatch(msg) {
    if (msg.type === 'reply') {
      const p = this.pending.get(msg.seq);
      if (!p) return;
      this.pending.delete(msg.seq);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.body);
      return;
    }
    const fns = this.listeners.get(msg.type);
    if (fns) for (const fn of [...fns]) fn(msg, null);
  }

  /** Registers a handler for every message of a type; returns an unsubscribe. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    const wrapped = (msg) => msg && fn(msg);
    this.listeners.get(type).add(wrapped);
    return () => this.listeners.get(type).delete(wrapped);
  }

  send(msg) {
    if (!this.exited && this.cp.connected) this.cp.send(msg);
  }

  /** Resolves with the next message of one of the given types. */
  waitFor(types, timeoutMs, what) {
    const list = Array.isArray(types) ? types : [types];
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(this.describeExit(this.cp.exitCode, this.cp.signalCode)));
      const offs = [];
      const done = (fn, value) => {
        clearTimeout(timer);
        for (const off of offs) off();
        fn(value);
      };
      const timer = setTimeout(() => done(reject, new Error(`timeout after ${timeoutMs} ms waiting for ${what || list.join('/')}`)), timeoutMs);
      for (const type of list) {
        if (!this.listeners.has(type)) this.listeners.set(type, new Set());
        const fn = (msg, err) => (err ? done(reject, err) : done(resolve, msg));
        this.listeners.get(type).add(fn);
        offs.push(() => this.listeners.get(type).delete(fn));
      }
    });
  }

  /** Request/response over IPC, matched by sequence number. */
  request(msg, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error('process already exited'));
      const seq = ++this.seq;
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`timeout after ${timeoutMs} ms on ${msg.type} request`));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send({ ...msg, seq });
    });
  }

  /** Asks politely, then kills: a stuck process must not outlive its run. */
  async stop(graceMs = 3000) {
    if (this.exited) return;
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill() {
    if (!this.exited) this.cp.kill('SIGKILL');
  }
}

module.exports = { Child };
