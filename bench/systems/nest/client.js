'use strict';
// NestJS client adapter: ClientTCP (via ClientProxyFactory), one socket per client.
require('reflect-metadata');
const { ClientProxyFactory, Transport } = require('@nestjs/microservices');
const { firstValueFrom, timeout } = require('rxjs');
const { MUL_A, MUL_B, ECHO_STRING } = require('../../lib/payloads');

const MULTIPLY = { a: MUL_A, b: MUL_B };
const ECHO = { data: ECHO_STRING };

async function connect(addresses) {
  const [host, port] = addresses[0].split(':');
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port: Number(port) } });
  await client.connect();
  return {
    call: (kind) => firstValueFrom(kind === 'echo' ? client.send('echo', ECHO) : client.send('multiply', MULTIPLY)),
    // W9: Nest's TCP transport carries no deadline; the client gives up with rxjs timeout().
    work: (method, id, deadline, timeoutMs) => firstValueFrom(client.send(method, { id, deadline }).pipe(timeout(timeoutMs))),
    close: async () => client.close(),
  };
}

module.exports = { connect };
