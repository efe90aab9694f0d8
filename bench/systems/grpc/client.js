'use strict';
// gRPC client adapter: one channel (one HTTP/2 connection), calls multiplexed as streams.
const { grpc, Bench } = require('./proto');
const { MUL_A, MUL_B, ECHO_BUFFER } = require('../../lib/payloads');

const MULTIPLY = { a: MUL_A, b: MUL_B };
const ECHO = { data: ECHO_BUFFER };
const READY_TIMEOUT_MS = 10_000;
const WORK_METHODS = { burn: 'Burn', mixed: 'Mixed' };

function unary(client, method, request, options) {
  return new Promise((resolve, reject) => {
    const cb = (err, reply) => (err ? reject(err) : resolve(reply));
    if (options) client[method](request, options, cb);
    else client[method](request, cb);
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
    // W9: the deadline travels in grpc-timeout; the client fails the call at it.
    work: (method, id, deadline, timeoutMs) =>
      unary(client, WORK_METHODS[method], { id, deadline }, { deadline: Date.now() + timeoutMs }),
    // W7/W8: 'data' events in flowing mode; HTTP/2 flow control paces the server.
    consume: (count) =>
      new Promise((resolve, reject) => {
        let received = 0;
        const call = client.Watch({ count });
        call.on('data', () => {
          received++;
        });
        call.on('error', reject);
        call.on('end', () => resolve(received));
      }),
    close: async () => client.close(),
  };
}

module.exports = { connect };
