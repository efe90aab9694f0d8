import * as net from 'node:net';
import { encodeFrame, encodeHandshake, FrameType, PROTOCOL_VERSION } from '../../src/protocol';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness, rejection, waitFor } from '../helpers/apps';
import { type ChildServer, startChildServer, stopChildServer } from '../helpers/child-server-process';

describe('connection loss', () => {
  const h = new Harness();
  const children: ChildServer[] = [];
  afterEach(async () => {
    await h.close();
    await Promise.all(children.splice(0).map(stopChildServer));
  });

  it('settles every in-flight call with UNAVAILABLE (CONNECTION_LOST) within 1 s when the server process is killed', async () => {
    const server = await startChildServer();
    children.push(server);
    const client = h.client({ endpoints: { Fixture: [`127.0.0.1:${server.port}`] }, policy: { retry: false } });
    const hanging = Array.from({ length: 50 }, (_, i) =>
      rejection(client.invoke('Fixture', 'behave', [`hang-${i}`], { metadata: { 'x-hang': '1' }, timeoutMs: 20_000 })),
    );
    // One connection, frames in order: once this reply is back, the server has all 50 calls.
    expect(await client.invoke('Fixture', 'echo', ['sent'])).toBe('sent');

    const killedAt = performance.now();
    server.child.kill('SIGKILL');
    const errors = await Promise.all(hanging);
    const elapsedMs = performance.now() - killedAt;

    expect(elapsedMs).toBeLessThan(1_000);
    for (const err of errors) {
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.details).toEqual({ reason: 'CONNECTION_LOST' });
      // It may have reached the handler, so it is not safe to send again.
      expect(err.notProcessed).toBe(false);
      expect(err.attempts).toEqual([expect.objectContaining({ endpoint: `127.0.0.1:${server.port}`, code: 'UNAVAILABLE' })]);
    }
  });

  it('settles pending calls with UNAVAILABLE (CLIENT_CLOSED) when the client closes, and the server stops their handlers', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [address] } });
    const log = app.get(FixtureService).log;
    const hanging = Array.from({ length: 20 }, (_, i) => rejection(client.invoke('Fixture', 'behave', [`hang-${i}`], { metadata: { 'x-hang': '1' } })));
    await waitFor(() => log.started.length === 20, 2_000, 'all 20 handlers to start');

    const closedAt = performance.now();
    await client.close();
    const errors = await Promise.all(hanging);
    expect(performance.now() - closedAt).toBeLessThan(1_000);
    for (const err of errors) {
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.details).toEqual({ reason: 'CLIENT_CLOSED' });
    }
    await waitFor(() => log.aborted.length === 20, 2_000, 'the server to abort all 20 handlers');
    expect(new Set(log.aborted.map((a) => a.reason))).toEqual(new Set(['CANCELLED']));
  });

  describe('with a peer that is not a working server', () => {
    const sockets = new Set<net.Socket>();
    let fake: net.Server | null = null;
    afterEach(async () => {
      for (const s of sockets) s.destroy();
      if (fake !== null) await new Promise((resolve) => fake!.close(resolve));
      fake = null;
    });

    /** A TCP server that accepts and then does `onSocket` with each connection. */
    async function fakePeer(onSocket: (s: net.Socket) => void): Promise<string> {
      fake = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
        onSocket(s);
      });
      await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
      return `127.0.0.1:${(fake.address() as net.AddressInfo).port}`;
    }

    it('fails a call at the connect timeout, not the deadline, when the peer never answers the handshake', async () => {
      const address = await fakePeer(() => {});
      const client = h.client({ endpoints: { Fixture: [address] }, connectTimeoutMs: 200 });
      const started = performance.now();
      const err = await rejection(client.invoke('Fixture', 'echo', ['x'], { timeoutMs: 5_000 }));
      const elapsedMs = performance.now() - started;
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.attempts?.[0]).toEqual(expect.objectContaining({ endpoint: address, code: 'UNAVAILABLE' }));
      expect(elapsedMs).toBeGreaterThanOrEqual(190);
      expect(elapsedMs).toBeLessThan(1_000);
    });

    it('fails a call at once when the peer closes the connection during the handshake', async () => {
      const address = await fakePeer((s) => s.destroy());
      const client = h.client({ endpoints: { Fixture: [address] } });
      const started = performance.now();
      const err = await rejection(client.invoke('Fixture', 'echo', ['x'], { timeoutMs: 5_000 }));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.attempts?.[0]).toEqual(expect.objectContaining({ endpoint: address, code: 'UNAVAILABLE' }));
    });

    it('settles a call whose connection is cut after the request was sent', async () => {
      // Answers the handshake like a server, then drops the connection when the first request arrives.
      const address = await fakePeer((s) => {
        let seen = 0;
        s.on('data', (chunk: Buffer) => {
          if (seen++ === 0) {
            const ack = encodeHandshake({ version: PROTOCOL_VERSION, codec: 'msgpack', maxFrameBytes: 1 << 20, services: {} });
            s.write(encodeFrame(FrameType.HELLO_ACK, 0, 0, ack) as Buffer);
          } else if (chunk.length > 0) {
            s.destroy();
          }
        });
      });
      const client = h.client({ endpoints: { Fixture: [address] } });
      const started = performance.now();
      const err = await rejection(client.invoke('Fixture', 'echo', ['x'], { timeoutMs: 5_000 }));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.details).toEqual({ reason: 'CONNECTION_LOST' });
    });
  });
});
