'use strict';
// Prepares what the benchmark needs before anything is spawned: bench's own
// dependencies (kept out of rivet-rpc's package.json) and a fresh Rivet build.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { BENCH_DIR, ROOT_DIR, DIST_DIR } = require('./paths');

const STAMP = path.join(BENCH_DIR, 'node_modules', '.rivet-bench-deps');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function manifestHash() {
  const h = crypto.createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    const p = path.join(BENCH_DIR, f);
    if (fs.existsSync(p)) h.update(fs.readFileSync(p));
  }
  return h.digest('hex');
}

function npm(args, cwd) {
  return spawnSync(NPM, args, { cwd, encoding: 'utf8', shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
}

function lastLines(r, n = 8) {
  return `${r.stdout || ''}${r.stderr || ''}${r.error ? r.error.message : ''}`.trim().split('\n').slice(-n).join('\n');
}

/** Installs bench/node_modules when it is missing or older than the manifests. */
function ensureDeps(log) {
  const want = manifestHash();
  const have = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : null;
  if (have === want) return;
  const hasLock = fs.existsSync(path.join(BENCH_DIR, 'package-lock.json'));
  const args = [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'];
  log(`installing benchmark dependencies (npm ${args[0]} in bench/) ...`);
  const r = npm(args, BENCH_DIR);
  if (r.status !== 0) throw new Error(`npm ${args[0]} failed in bench/:\n${lastLines(r)}`);
  fs.writeFileSync(STAMP, `${want}\n`);
}

/**
 * Builds the repo so the Rivet rows measure the current source. A failed
 * build is not fatal: the Rivet rows then show the error and peers still run.
 */
function buildRivet(log) {
  if (!fs.existsSync(path.join(ROOT_DIR, 'node_modules', 'typescript'))) {
    log('warning: root dependencies are not installed (run `npm install` at the repo root); skipping the Rivet build');
    return false;
  }
  log('building rivet-rpc (npm run build) ...');
  const r = npm(['run', 'build', '--silent'], ROOT_DIR);
  if (r.status !== 0) {
    log(`warning: Rivet build failed; Rivet rows will report errors${fs.existsSync(DIST_DIR) ? ' or use a partial dist/' : ''}:\n${lastLines(r)}`);
    return false;
  }
  return true;
}

module.exports = { ensureDeps, buildRivet };
