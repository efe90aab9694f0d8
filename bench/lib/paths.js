'use strict';
// Every location is derived from this file so the harness works from any clone.
const path = require('node:path');

const BENCH_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.resolve(BENCH_DIR, '..');
const DIST_DIR = path.join(ROOT_DIR, 'dist');
const RESULTS_DIR = path.join(BENCH_DIR, '.results');

module.exports = { BENCH_DIR, ROOT_DIR, DIST_DIR, RESULTS_DIR };
