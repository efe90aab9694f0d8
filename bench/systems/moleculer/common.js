'use strict';
// Broker settings shared by both Moleculer nodes. Discovery is static (no UDP)
// and every address a node announces is pinned to loopback: by default a node
// advertises its hostname and LAN addresses, and peers would connect there.
const { ServiceBroker } = require('moleculer');

const SERVER_NODE = 'bench-server';

function createBroker(nodeID, urls, extra = {}) {
  const broker = new ServiceBroker({
    ...extra,
    nodeID,
    namespace: 'rivet-bench',
    logger: false,
    transporter: {
      type: 'TCP',
      options: { udpDiscovery: false, urls, port: null, gossipPeriod: 1 },
    },
    // The 0.14 default serializer, spelled out: JSON, like Nest.
    serializer: 'JSON',
  });
  const local = broker.registry.nodes.localNode;
  local.hostname = '127.0.0.1';
  local.ipList = ['127.0.0.1'];
  return broker;
}

module.exports = { createBroker, SERVER_NODE };
