'use strict';
// Moleculer 0.14 service node on the TCP transporter.
const { serve } = require('../../lib/server-host');
const { createBroker, SERVER_NODE } = require('./common');

serve(async () => {
  const broker = createBroker(SERVER_NODE, []);
  broker.createService({
    name: 'bench',
    actions: {
      multiply: (ctx) => ctx.params.a * ctx.params.b,
      echo: (ctx) => ctx.params,
    },
  });
  await broker.start();
  return { port: broker.transit.tx.opts.port, close: () => broker.stop() };
});
