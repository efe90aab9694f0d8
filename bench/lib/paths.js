'use strict';
// Every location is derived from this file so the harness works from any clone.
const path = require('node:path');

const BENCH_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.resolve(BENCH_DIR, '..');
// RIVET_BENCH_DIST points the Rivet rows at another build (an A/B of two builds, interleaved).
const DIST_DIR = process.env.RIVET_BENCH_DIST ? path.resolve(process.env.RIVET_BENCH_DIST) : path.join(ROOT_DIR, 'dist');
const RESULTS_DIR = path.join(BENCH_DIR, '.results');

module.exports = { BENCH_DIR, ROOT_DIR, DIST_DIR, RESULTS_DIR };
