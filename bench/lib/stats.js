'use strict';

/** Nearest-rank percentile of an already sorted numeric array-like. */
function percentile(sorted, n, p) {
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n) - 1;
  return sorted[Math.min(n - 1, Math.max(0, rank))];
}

/** Sorts the first n recorded samples in place and returns p50/p99. */
function summarize(samples, n) {
  const view = samples.subarray(0, n);
  view.sort(); // typed arrays sort numerically, no comparator needed
  return { p50: percentile(view, n, 50), p99: percentile(view, n, 99) };
}

function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

function cpuMicros(usage) {
  return usage.user + usage.system;
}

module.exports = { percentile, summarize, median, cpuMicros };
