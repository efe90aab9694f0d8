'use strict';
// Moleculer client adapter: a second broker (its own node) that knows the
// server node from a static url list and calls its actions remotely.
const { createBroker, SERVER_NODE } = require('./common');
const { MUL_A, MUL_B, ECHO_STRING } = require('../../lib/payloads');

const MULTIPLY = { a: MUL_A, b: MUL_B };
const ECHO = { data: ECHO_STRING };
const DISCOVERY_TIMEOUT_MS = 15_000;

let nodes = 0;

async function connect(addresses) {
  const nodeID = `bench-client-${process.pid}-${++nodes}`;
  // Port 0 in this node's own url means "pick a free port".
  const broker = createBroker(nodeID, [`${addresses[0]}/${SERVER_NODE}`, `127.0.0.1:0/${nodeID}`]);
  await broker.start();
  await broker.waitForServices(['bench'], DISCOVERY_TIMEOUT_MS);
  return {
    call: (kind) => (kind === 'echo' ? broker.call('bench.echo', ECHO) : broker.call('bench.multiply', MULTIPLY)),
    // W9: Moleculer's call timeout; it travels with the request (distributed timeouts).
    work: (method, id, deadline, timeoutMs) => broker.call(`bench.${method}`, { id, deadline }, { timeout: timeoutMs }),
    close: () => broker.stop(),
  };
}

module.exports = { connect };

// One broker per process is one connection to the server node (its TCP
// transporter keeps one socket per node pair); W9 opens no more than that.
module.exports.maxConnections = 1;
