'use strict';
// Rivet client adapter: one createClient per connect(), calls through the typed proxy.
const { loadRivet, noopInterceptors } = require('./load-rivet');
const { MUL_A, MUL_B, ECHO_BUFFER } = require('../../lib/payloads');

const { createClient } = loadRivet();

async function connect(addresses, options) {
  const client = createClient({
    endpoints: { Bench: addresses },
    interceptors: noopInterceptors(options.interceptors),
    logger: false,
  });
  const bench = client.proxy('Bench');
  return {
    call: (kind) => (kind === 'echo' ? bench.echo(ECHO_BUFFER) : bench.multiply(MUL_A, MUL_B)),
    close: () => client.close(),
  };
}

module.exports = { connect };
