import * as net from 'node:net';
import { createClient } from '../../../src';
import { encodeFrame, encodeHandshake, FrameDecoder, FrameType } from '../../../src/protocol';

/**
 * A server of an older build: it completes the handshake but lists no features, and would close
 * the connection on any frame it does not know. It records the frame types it received.
 */
function oldServer(): Promise<{ port: number; received: number[]; close: () => Promise<void> }> {
  const received: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const decoder = new FrameDecoder(
      (type) => {
        received.push(type);
        if (type === FrameType.HELLO) {
          const ack = encodeHandshake({ version: 1, codec: 'msgpack', maxFrameBytes: 1 << 20, services: { Old: { methods: { watch: { idempotent: false } } } } });
          socket.write(encodeFrame(FrameType.HELLO_ACK, 0, 0, ack) as Buffer);
        } else if (type !== FrameType.PING && type !== FrameType.PONG) {
          socket.destroy();
        }
      },
      () => socket.destroy(),
      1 << 20,
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        received,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('a peer without stream support', () => {
  it('gets a clear UNIMPLEMENTED at once, and sees no stream frame', async () => {
    const old = await oldServer();
    const client = createClient({ logger: false, endpoints: { Old: [`127.0.0.1:${old.port}`] } });
    try {
      const started = Date.now();
      await expect(
        (async () => {
          for await (const _ of client.stream('Old', 'watch', [])) void _;
        })(),
      ).rejects.toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(old.received).toEqual([FrameType.HELLO]);
    } finally {
      await client.close();
      await old.close();
    }
  });
});
