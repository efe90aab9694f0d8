import * as net from 'node:net';
import { Writable } from 'node:stream';
import { isRpcError, type Client } from '../../src';
import { encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME_BYTES } from '../../src/protocol';
import { Outbox, OUTBOX_FLUSH_BYTES, OUTBOX_FLUSH_FRAMES } from '../../src/transport';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness } from '../helpers/apps';
import { seededRandom } from '../helpers/seeded-random';

/**
 * Pumps bytes from `from` to `to` one piece per turn of the event loop, so the receiver reads
 * each piece apart: mostly 1..7 bytes (headers and payloads cut anywhere), sometimes up to 2 KiB
 * (several frames glued together, the last one cut short).
 */
function pipeRechunked(from: net.Socket, to: net.Socket, random: () => number): void {
  let queued: Buffer = Buffer.alloc(0);
  let pumping = false;
  const pump = () => {
    if (to.destroyed || queued.length === 0) {
      pumping = false;
      return;
    }
    const n = Math.min(queued.length, 1 + Math.floor(random() * (random() < 0.3 ? 2048 : 7)));
    to.write(queued.subarray(0, n));
    queued = queued.subarray(n);
    setImmediate(pump);
  };
  from.on('data', (chunk: Buffer) => {
    // Test plumbing, not the decoder under test: concatenation keeps it short.
    queued = queued.length === 0 ? chunk : Buffer.concat([queued, chunk]);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

/**
 * A TCP forwarder between a client and a server. It counts the connections it accepts and the
 * chunks ('data' events) the server sends back, and can re-chunk the bytes in both directions.
 */
class Forwarder {
  accepted = 0;
  chunksFromServer = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static start(targetPort: number, rechunkSeed?: number): Promise<Forwarder> {
    return new Promise((resolve) => {
      const server = net.createServer({ noDelay: true });
      const fwd = new Forwarder(server, 0);
      server.on('connection', (down) => {
        fwd.accepted++;
        const up = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
        fwd.track(down);
        fwd.track(up);
        up.on('data', () => fwd.chunksFromServer++);
        if (rechunkSeed === undefined) {
          down.pipe(up);
          up.pipe(down);
        } else {
          const random = seededRandom(rechunkSeed + fwd.accepted);
          pipeRechunked(down, up, random);
          pipeRechunked(up, down, random);
        }
        down.on('close', () => up.destroy());
        up.on('close', () => down.destroy());
      });
      server.listen(0, '127.0.0.1', () => {
        (fwd as { port: number }).port = (server.address() as net.AddressInfo).port;
        resolve(fwd);
      });
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    s.on('error', () => {});
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }
}

/** Sends `value` to Fixture.echo and returns what came back. */
function echo(client: Client, value: unknown): Promise<unknown> {
  return client.invoke('Fixture', 'echo', [value]);
}

describe('transport', () => {
  const h = new Harness();
  const forwarders: Forwarder[] = [];
  afterEach(async () => {
    await h.close();
    await Promise.all(forwarders.splice(0).map((f) => f.close()));
  });

  async function serveBehindForwarder(rechunkSeed?: number): Promise<{ client: Client; fwd: Forwarder }> {
    const { port } = await h.serve({ services: [FixtureService] });
    const fwd = await Forwarder.start(port, rechunkSeed);
    forwarders.push(fwd);
    return { client: h.client({ endpoints: { Fixture: [fwd.address] } }), fwd };
  }

  it('multiplexes 500 concurrent calls over one connection and matches each reply to its call', async () => {
    const { client, fwd } = await serveBehindForwarder();
    // A typed proxy of the same client shares the connection with calls by name.
    const proxy = client.proxy(FixtureService);
    const proxied = Promise.all(Array.from({ length: 100 }, (_, i) => proxy.echo({ viaProxy: i })));
    const finished: number[] = [];
    // Delays scattered over 0..49 ms, so replies come back in an order unlike the sending order.
    const calls = Array.from({ length: 500 }, (_, i) =>
      client.invoke('Fixture', 'behave', [`k${i}`], { metadata: { 'x-delay-ms': String((i * 37) % 50) } }).then((r) => {
        finished.push(i);
        return r;
      }),
    );
    const results = (await Promise.all(calls)) as Array<{ key: string; metadata: Record<string, string> }>;
    results.forEach((r, i) => {
      expect(r.key).toBe(`k${i}`);
      expect(r.metadata['x-delay-ms']).toBe(String((i * 37) % 50));
    });
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b));
    expect(await proxied).toEqual(Array.from({ length: 100 }, (_, i) => ({ viaProxy: i })));
    expect(fwd.accepted).toBe(1);
  });

  it.each([1, 2, 3])('delivers every call and reply when the bytes are split and merged at random (seed %i)', async (seed) => {
    const { client, fwd } = await serveBehindForwarder(seed);
    // Payload sizes from empty to a few KiB, so frames end at every kind of boundary.
    const values = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? { i, s: 'x'.repeat((i * 53) % 1000) } : [i, Buffer.alloc(i % 17, i), null]));
    const results = await Promise.all(values.map((v) => echo(client, v)));
    expect(results).toEqual(values);
    expect(fwd.accepted).toBe(1);
  });

  // What a reader can see: replies queued together are not spread over many reads. It cannot see
  // write syscalls (the kernel glues back-to-back writes on loopback, so one write per frame
  // reads the same); the Outbox test below counts those.
  it('returns the replies to 1,000 concurrent small calls in far fewer TCP chunks than calls', async () => {
    const { client, fwd } = await serveBehindForwarder();
    await echo(client, 'warm-up');
    const before = fwd.chunksFromServer;
    const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => echo(client, i)));
    expect(results).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    const chunks = fwd.chunksFromServer - before;
    expect(chunks).toBeGreaterThan(0);
    expect(chunks).toBeLessThan(200);
  });

  it('writes the frames queued in one turn of the event loop to a real socket in a few writes, not one per frame', async () => {
    const received: number[] = [];
    const decoder = new FrameDecoder((_type, _flags, id) => received.push(id), () => {}, DEFAULT_MAX_FRAME_BYTES);
    const server = net.createServer((s) => s.on('data', (chunk: Buffer) => decoder.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, noDelay: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    // Stands where the socket stands in a connection, counting each write the socket is asked for.
    // It calls back at once, so the stream never buffers on its own and the count is the Outbox's.
    let writes = 0;
    const counting = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes++;
        socket.write(chunk);
        done();
      },
      writev(chunks, done) {
        writes++;
        socket.write(Buffer.concat(chunks.map((c) => c.chunk as Buffer)));
        done();
      },
    });
    try {
      const outbox = new Outbox(counting, () => {});
      let bytes = 0;
      for (let id = 1; id <= 1_000; id++) {
        const frame = encodeFrame(4, 0, id, Buffer.from([0xa2, 0x6f, 0x6b])) as Buffer;
        bytes += frame.length;
        outbox.push(frame);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(writes).toBeLessThanOrEqual(Math.max(Math.ceil(bytes / OUTBOX_FLUSH_BYTES), Math.ceil(1_000 / OUTBOX_FLUSH_FRAMES)) + 1);
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`only ${received.length} frames arrived`)), 2_000);
        const check = () => (received.length === 1_000 ? (clearTimeout(deadline), resolve()) : setImmediate(check));
        check();
      });
      expect(received).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('values under msgpack (the default codec)', () => {
    let client: Client;
    beforeEach(async () => {
      const { address } = await h.serve({ services: [FixtureService] });
      client = h.client({ endpoints: { Fixture: [address] } });
    });

    it.each<[string, unknown]>([
      ['undefined', undefined],
      ['null', null],
      ['a Date', new Date('2024-02-29T12:34:56.789Z')],
      ['a Uint8Array', new Uint8Array([0, 1, 254, 255])],
      ['a Buffer', Buffer.from('rivet \u2603', 'utf8')],
      ['a Map with non-string keys', new Map<unknown, unknown>([['a', 1], [2, { b: [true] }]])],
      ['a nested object', { a: { b: [1, 'two', { c: null, d: -0.5, e: 2 ** 53 - 1 }], f: 'ü' }, g: [] }],
      ['an array holding undefined and null', [undefined, null, 0, '']],
    ])('carries %s there and back unchanged', async (_, value) => {
      // Strict: the same types (Buffer stays Buffer, Map stays Map) and undefined stays undefined.
      expect(await echo(client, value)).toStrictEqual(value);
    });

    it('carries a 4 MiB Buffer there and back', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
      const back = await echo(client, big);
      expect(Buffer.isBuffer(back)).toBe(true);
      expect((back as Buffer).equals(big)).toBe(true);
    });
  });

  describe('values under JSON', () => {
    it('carries what JSON can carry between a JSON client and a JSON server', async () => {
      const { address } = await h.serve({ services: [FixtureService], codec: 'json' });
      const client = h.client({ endpoints: { Fixture: [address] }, codec: 'json' });
      const values: unknown[] = [null, true, 0, -1.5, 'text with "quotes" and \u2603', [1, [2, [3]]], { a: { b: [null, false, 'x'.repeat(100_000)] } }];
      for (const v of values) expect(await echo(client, v)).toEqual(v);
    });

    it('agrees on JSON when a JSON client talks to a server that prefers msgpack', async () => {
      const { address } = await h.serve({ services: [FixtureService] });
      const json = h.client({ endpoints: { Fixture: [address] }, codec: 'json' });
      const msgpack = h.client({ endpoints: { Fixture: [address] } });
      const when = new Date('2024-01-02T03:04:05.006Z');
      // What a codec does to a Date tells which codec the connection agreed on.
      expect(await echo(json, { when, n: 1 })).toEqual({ when: when.toISOString(), n: 1 });
      expect(await echo(msgpack, { when, n: 1 })).toEqual({ when, n: 1 });
    });

    it('agrees on msgpack when a default client talks to a server that prefers JSON', async () => {
      const { address } = await h.serve({ services: [FixtureService], codec: 'json' });
      const client = h.client({ endpoints: { Fixture: [address] } });
      const when = new Date('2024-01-02T03:04:05.006Z');
      const back = await echo(client, when);
      expect(back).toBeInstanceOf(Date);
      expect(back).toEqual(when);
    });

    it('fails a call whose arguments JSON cannot encode with INVALID_ARGUMENT, and the connection lives on', async () => {
      const { address } = await h.serve({ services: [FixtureService], codec: 'json' });
      const client = h.client({ endpoints: { Fixture: [address] }, codec: 'json' });
      const err = await echo(client, { n: 10n }).catch((e: unknown) => e);
      expect(isRpcError(err) && err.code).toBe('INVALID_ARGUMENT');
      expect(await echo(client, 'still here')).toBe('still here');
    });
  });
});
