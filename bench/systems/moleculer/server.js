'use strict';
// Moleculer 0.14 service node on the TCP transporter.
// Options: bulkhead: true turns on its bulkhead, tuned for W9 (see BULKHEAD).
const os = require('node:os');
const { serve } = require('../../lib/server-host');
const work = require('../../lib/work');
const { createBroker, SERVER_NODE } = require('./common');

// Tuned for a CPU-bound handler on a small machine: a few calls at once per
// core (the mixed handler waits 5 ms, so more than one per core helps), and a
// short queue so excess calls fail fast instead of waiting out their deadline.
const BULKHEAD = { enabled: true, concurrency: 2 * os.cpus().length, maxQueueSize: 8 };

serve(async (options) => {
  const broker = createBroker(SERVER_NODE, [], options.bulkhead ? { bulkhead: BULKHEAD } : {});
  broker.createService({
    name: 'bench',
    actions: {
      multiply: (ctx) => ctx.params.a * ctx.params.b,
      echo: (ctx) => ctx.params,
      burn: (ctx) => work.burn(ctx.params.id, ctx.params.deadline),
      mixed: (ctx) => work.mixed(ctx.params.id, ctx.params.deadline),
    },
  });
  await broker.start();
  const note = options.bulkhead ? `bulkhead concurrency ${BULKHEAD.concurrency}, maxQueueSize ${BULKHEAD.maxQueueSize}` : undefined;
  return { port: broker.transit.tx.opts.port, close: () => broker.stop(), note };
});
