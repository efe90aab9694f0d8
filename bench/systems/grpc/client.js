'use strict';
// gRPC client adapter: one channel (one HTTP/2 connection), calls multiplexed as streams.
const { grpc, Bench } = require('./proto');
const { MUL_A, MUL_B, ECHO_BUFFER } = require('../../lib/payloads');

const MULTIPLY = { a: MUL_A, b: MUL_B };
const ECHO = { data: ECHO_BUFFER };
const READY_TIMEOUT_MS = 10_000;

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

async function connect(addresses) {
  // A private subchannel pool gives each adapter instance its own connection,
  // as every other system's connect() does.
  const client = new Bench(addresses[0], grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  await new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + READY_TIMEOUT_MS, (err) => (err ? reject(err) : resolve())),
  );
  return {
    call: (kind) => (kind === 'echo' ? unary(client, 'Echo', ECHO) : unary(client, 'Multiply', MULTIPLY)),
    close: async () => client.close(),
  };
}

module.exports = { connect };
