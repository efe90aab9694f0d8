'use strict';
// Keeps one CPU core busy, to run tests on a loaded machine:
//
//   node scripts/cpu-burn.js [seconds]     (default 600)
//
// It spins in a tight loop and exits by itself after `seconds`, or as soon as the process that
// started it is gone, so a CI run that is cut short never leaves it behind. .ci/run starts one
// beside its second run of the integration tests.
const seconds = Number(process.argv[2] ?? 600);
if (!(seconds > 0)) {
  process.stderr.write('usage: node scripts/cpu-burn.js [seconds > 0]\n');
  process.exit(2);
}
const parent = process.ppid;
const until = Date.now() + seconds * 1000;
let sink = 0;
for (;;) {
  for (let i = 0; i < 5_000_000; i++) sink = (sink + i * i) % 1_000_003;
  if (Date.now() >= until) break;
  // Orphaned: our parent died and we were re-parented.
  if (process.ppid !== parent) break;
}
process.exitCode = sink === -1 ? 1 : 0;
