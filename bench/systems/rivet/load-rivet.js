'use strict';
// Loads the repo's compiled build. reflect-metadata is taken from the repo's
// own node_modules first so Rivet and this process share one metadata store.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT_DIR, DIST_DIR } = require('../../lib/paths');

function loadRivet() {
  if (!fs.existsSync(path.join(DIST_DIR, 'index.js'))) {
    throw new Error('Rivet build not found (dist/index.js missing): run `npm run build` at the repo root');
  }
  try {
    require(path.join(ROOT_DIR, 'node_modules', 'reflect-metadata'));
  } catch {
    require('reflect-metadata');
  }
  return require(DIST_DIR);
}

/** The interceptors used by the full-pipeline workload: they only pass through. */
function noopInterceptors(count) {
  return Array.from({ length: count || 0 }, () => async (ctx, next) => await next());
}

module.exports = { loadRivet, noopInterceptors };
