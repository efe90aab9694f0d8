import * as net from 'node:net';
import pino from 'pino';
import { HttpServer, Router } from '../../../src/http';

/** Opens a connection, sends `bytes`, and resolves with what came back and when the server closed it. */
function stall(port: number, bytes: string): Promise<{ got: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ got, ms: Date.now() - started });
    });
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after 15 s; got ${JSON.stringify(got)}`));
    }, 15_000);
  });
}

describe('HttpServer', () => {
  it('answers a request whose headers stall 408 and closes it soon after the headers timeout, not after the 30 s check interval of Node', async () => {
    const server = new HttpServer(new Router({ logger: pino({ enabled: false }) }), undefined, 500, 500);
    const { port } = await server.start(0, '127.0.0.1');
    try {
      const { got, ms } = await stall(port, 'POST /rpc/A/b HTTP/1.1\r\nhost: x\r\n');
      expect(got).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeGreaterThanOrEqual(400);
      // The timeout plus one check interval (capped at the timeout), with room for a busy machine.
      expect(ms).toBeLessThan(5_000);
    } finally {
      await server.stop();
    }
  });
});
