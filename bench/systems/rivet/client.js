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
    // W9's ablation turns the client's adaptive throttling off for the rows before its step.
    ...(options.throttle === false ? { policy: { throttle: false } } : {}),
  });
  const bench = client.proxy('Bench');
  return {
    call: (kind) => (kind === 'echo' ? bench.echo(ECHO_BUFFER) : bench.multiply(MUL_A, MUL_B)),
    // W9: the call's deadline (timeoutMs) travels with the request.
    work: (method, id, deadline, timeoutMs) => client.invoke('Bench', method, [id, deadline], { timeoutMs }),
    // W7/W8: a server stream by name, consumed with for await (Rivet's streaming API);
    // the typed proxy's streaming method is the fallback.
    consume: async (count) => {
      let stream;
      if (typeof client.stream === 'function') stream = client.stream('Bench', 'watch', [count]);
      else {
        stream = bench.watch(count);
        if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') {
          if (stream && typeof stream.then === 'function') stream.then(undefined, () => undefined); // a unary call went out: let it fail quietly
          throw new Error('not supported: this Rivet build has no server streaming (no client.stream, proxy methods return promises)');
        }
      }
      let received = 0;
      // eslint-disable-next-line no-unused-vars
      for await (const m of stream) received++;
      return received;
    },
    close: () => client.close(),
  };
}

module.exports = { connect };
