import { Method, RpcError, Service, type CallContext, type InterceptorFn } from '../../../src';
import { decodeError, encodeCreditFrame, encodeRequest, FrameFlags, FrameType, MsgpackCodec } from '../../../src/protocol';
import { Harness } from '../../helpers/apps';
import { RawSocket, type RawFrame } from '../../helpers/raw-socket';

// The server side of streams, spoken to by hand over TCP: the frames of docs/PROTOCOL.md §10.
const codec = new MsgpackCodec();
const events: string[] = [];

@Service('WireFeed')
class WireFeed {
  produced = 0;
  finallyRan = 0;
  aborted = 0;

  @Method({ stream: 'server' })
  async *count(n: number): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        this.produced++;
        yield i;
      }
    } finally {
      this.finallyRan++;
    }
  }

  @Method({ stream: 'server' })
  async *endless(): AsyncGenerator<number> {
    const ctx = (await import('../../../src')).currentContext() as CallContext;
    ctx.signal.addEventListener('abort', () => this.aborted++);
    try {
      for (let i = 0; ; i++) {
        this.produced++;
        yield i;
      }
    } finally {
      this.finallyRan++;
    }
  }

  @Method({ stream: 'server' })
  async *failAfter(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) yield i;
    throw new RpcError('FAILED_PRECONDITION', 'ran dry', { after: n });
  }

  @Method({ stream: 'client' })
  async sum(input: AsyncIterable<number>, base: number): Promise<number> {
    let total = base;
    for await (const v of input) total += v;
    return total;
  }

  @Method({ stream: 'bidi' })
  async *echo(input: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const v of input) yield v;
  }

  @Method()
  ping(): string {
    return 'pong';
  }
}

const record: InterceptorFn = async (ctx, next) => {
  events.push(`open ${ctx.method} ${ctx.stream ?? 'unary'}`);
  try {
    const out = await next();
    events.push(`end ${ctx.method}`);
    return out;
  } catch (err) {
    events.push(`error ${ctx.method} ${(err as RpcError).code}`);
    throw err;
  }
};

let nextId = 1;
function open(sock: RawSocket, method: string, args: unknown[], opts: { credit?: [number, number]; timeoutMs?: number; flags?: number } = {}): number {
  const id = nextId++;
  sock.sendFrame(FrameType.REQUEST, id, encodeRequest(codec, 'WireFeed', method, args, {}, opts.timeoutMs ?? 2_147_483_647), opts.flags ?? FrameFlags.STREAM);
  if (opts.credit !== undefined) sock.write(encodeCreditFrame(id, opts.credit[0], opts.credit[1]));
  return id;
}

async function framesUntilTerminal(sock: RawSocket, id: number): Promise<RawFrame[]> {
  const out: RawFrame[] = [];
  for (;;) {
    const f = await sock.nextFrame();
    if (f.id !== id) continue;
    out.push(f);
    if (f.type === FrameType.STREAM_END || f.type === FrameType.ERROR || f.type === FrameType.RESPONSE) return out;
  }
}

describe('streams on the wire (server side)', () => {
  const h = new Harness();
  let sock: RawSocket;
  let feed: WireFeed;
  let port: number;

  beforeEach(async () => {
    events.length = 0;
    const served = await h.serve({ services: [WireFeed], interceptors: [record], limits: { maxStreamsPerConnection: 3 }, streams: { window: { messages: 4 } } });
    port = served.port;
    feed = served.app.get(WireFeed);
    sock = await RawSocket.connect(port);
    const ack = await sock.handshakeWith({ features: ['streams'] });
    expect(ack.features).toEqual(['streams']);
    expect(ack.services.WireFeed.methods.count).toEqual({ idempotent: false, stream: 'server' });
    expect(ack.services.WireFeed.methods.sum.stream).toBe('client');
    expect(ack.services.WireFeed.methods.ping.stream).toBeUndefined();
  });
  afterEach(async () => {
    await sock.destroy();
    await h.close();
  });

  it('sends every message of a server stream in order, then END, and the interceptor sees one call that ends with it', async () => {
    const id = open(sock, 'count', [5], { credit: [100, 1 << 20] });
    const frames = await framesUntilTerminal(sock, id);
    expect(frames.map((f) => f.type)).toEqual([...Array(5).fill(FrameType.STREAM_DATA), FrameType.STREAM_END]);
    expect(frames.slice(0, 5).map((f) => codec.decode(f.payload))).toEqual([0, 1, 2, 3, 4]);
    expect(events).toEqual(['open count server', 'end count']);
  });

  it('sends no more than its credit, and pulls at most one message ahead of it', async () => {
    const id = open(sock, 'endless', [], { credit: [3, 1 << 20] });
    const first = [await sock.nextFrame(), await sock.nextFrame(), await sock.nextFrame()];
    expect(first.map((f) => f.type)).toEqual([FrameType.STREAM_DATA, FrameType.STREAM_DATA, FrameType.STREAM_DATA]);
    await expect(sock.nextFrame(150)).rejects.toThrow(/timed out/);
    expect(feed.produced).toBeLessThanOrEqual(4);
    sock.write(encodeCreditFrame(id, 2, 1 << 20));
    expect((await sock.nextFrame()).type).toBe(FrameType.STREAM_DATA);
    expect((await sock.nextFrame()).type).toBe(FrameType.STREAM_DATA);
    await expect(sock.nextFrame(100)).rejects.toThrow(/timed out/);
    expect(feed.produced).toBeLessThanOrEqual(6);
    sock.sendFrame(FrameType.CANCEL, id);
    await waitUntil(() => feed.finallyRan === 1);
    expect(feed.aborted).toBe(1);
  });

  it('lets one message larger than the byte window through alone', async () => {
    const id = open(sock, 'count', [3], { credit: [10, 1] });
    expect((await sock.nextFrame()).type).toBe(FrameType.STREAM_DATA);
    await expect(sock.nextFrame(100)).rejects.toThrow(/timed out/);
    sock.write(encodeCreditFrame(id, 0, 100));
    const rest = await framesUntilTerminal(sock, id);
    expect(rest.map((f) => f.type)).toEqual([FrameType.STREAM_DATA, FrameType.STREAM_DATA, FrameType.STREAM_END]);
  });

  it('delivers the messages yielded before an error, then the error with its code and details', async () => {
    const id = open(sock, 'failAfter', [5], { credit: [100, 1 << 20] });
    const frames = await framesUntilTerminal(sock, id);
    expect(frames.filter((f) => f.type === FrameType.STREAM_DATA)).toHaveLength(5);
    const last = frames[frames.length - 1];
    expect(last.type).toBe(FrameType.ERROR);
    expect(decodeError(codec, last.payload)).toEqual({ code: 'FAILED_PRECONDITION', message: 'ran dry', details: { after: 5 } });
    expect(events).toEqual(['open failAfter server', 'error failAfter FAILED_PRECONDITION']);
  });

  it('grants credit for a client stream only once the handler runs, and answers with one RESPONSE', async () => {
    const id = open(sock, 'sum', [100]);
    const credit = await sock.nextFrame();
    expect(credit.type).toBe(FrameType.STREAM_CREDIT);
    expect(credit.payload.readUInt32BE(0)).toBe(4);
    for (const v of [1, 2, 3]) sock.sendFrame(FrameType.STREAM_DATA, id, codec.encode(v));
    sock.sendFrame(FrameType.STREAM_END, id);
    const frames = await framesUntilTerminal(sock, id);
    const response = frames[frames.length - 1];
    expect(response.type).toBe(FrameType.RESPONSE);
    expect(codec.decode(response.payload)).toBe(106);
  });

  it('fails only the stream whose peer sends past its credit, with RESOURCE_EXHAUSTED', async () => {
    const id = open(sock, 'sum', [0]);
    expect((await sock.nextFrame()).type).toBe(FrameType.STREAM_CREDIT);
    // The window is 4 messages and the handler reads them as they come; hold its reads by sending
    // a burst far past the window in one write.
    for (let i = 0; i < 50; i++) sock.sendFrame(FrameType.STREAM_DATA, id, codec.encode(i));
    const frames = await framesUntilTerminal(sock, id);
    const last = frames[frames.length - 1];
    expect(last.type).toBe(FrameType.ERROR);
    expect(decodeError(codec, last.payload)).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'STREAM_OVERRUN' } });
    sock.sendFrame(FrameType.REQUEST, 999, encodeRequest(codec, 'WireFeed', 'ping', [], {}, 1000));
    const reply = await framesUntilTerminal(sock, 999);
    expect(codec.decode(reply[0].payload)).toBe('pong');
  });

  it('echoes a bidi stream message by message', async () => {
    const id = open(sock, 'echo', [], { credit: [1, 1 << 20] });
    expect((await sock.nextFrame()).type).toBe(FrameType.STREAM_CREDIT);
    for (let i = 0; i < 3; i++) {
      sock.sendFrame(FrameType.STREAM_DATA, id, codec.encode(`m${i}`));
      let f = await sock.nextFrame();
      // The server grants input credit back as the handler consumes it.
      while (f.type === FrameType.STREAM_CREDIT) f = await sock.nextFrame();
      expect(f.type).toBe(FrameType.STREAM_DATA);
      expect(codec.decode(f.payload)).toBe(`m${i}`);
      sock.write(encodeCreditFrame(id, 1, 0));
    }
    sock.sendFrame(FrameType.STREAM_END, id);
    expect((await framesUntilTerminal(sock, id)).pop()?.type).toBe(FrameType.STREAM_END);
  });

  it('answers UNIMPLEMENTED to a streaming method called without the stream flag, and to a unary one called with it', async () => {
    const a = open(sock, 'count', [1], { flags: 0 });
    const [ea] = await framesUntilTerminal(sock, a);
    expect(decodeError(codec, ea.payload)).toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
    const b = open(sock, 'ping', []);
    const [eb] = await framesUntilTerminal(sock, b);
    expect(decodeError(codec, eb.payload)).toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
  });

  it('refuses a stream past maxStreamsPerConnection with RESOURCE_EXHAUSTED, not processed', async () => {
    for (let i = 0; i < 3; i++) open(sock, 'endless', [], { credit: [1, 1 << 20] });
    await Promise.all([sock.nextFrame(), sock.nextFrame(), sock.nextFrame()]);
    const id = open(sock, 'endless', [], { credit: [1, 1 << 20] });
    const [err] = await framesUntilTerminal(sock, id);
    expect(err.flags & FrameFlags.NOT_PROCESSED).toBe(FrameFlags.NOT_PROCESSED);
    expect(decodeError(codec, err.payload)).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { reason: 'TOO_MANY_STREAMS' } });
  });

  it('ends a stream at its deadline with DEADLINE_EXCEEDED, aborting the handler and running its finally', async () => {
    const id = open(sock, 'endless', [], { credit: [2, 1 << 20], timeoutMs: 150 });
    const frames = await framesUntilTerminal(sock, id);
    expect(decodeError(codec, frames[frames.length - 1].payload)).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await waitUntil(() => feed.finallyRan === 1);
    expect(feed.aborted).toBe(1);
  });

  it('lists no feature to a client that offers none, and answers its unary call of a stream method UNIMPLEMENTED', async () => {
    const old = await RawSocket.connect(port);
    try {
      const ack = await old.handshake();
      expect(ack.features).toBeUndefined();
      old.sendFrame(FrameType.REQUEST, 1, encodeRequest(codec, 'WireFeed', 'count', [3], {}, 1000));
      const reply = await old.nextFrame();
      expect(reply.type).toBe(FrameType.ERROR);
      expect(decodeError(codec, reply.payload)).toMatchObject({ code: 'UNIMPLEMENTED', details: { reason: 'STREAMS_UNSUPPORTED' } });
    } finally {
      await old.destroy();
    }
  });

  it('runs the handler finally blocks when the connection drops mid-stream', async () => {
    open(sock, 'endless', [], { credit: [2, 1 << 20] });
    await sock.nextFrame();
    await sock.destroy();
    await waitUntil(() => feed.finallyRan === 1);
  });
});

describe('stream records (the stream-records feature)', () => {
  const h = new Harness();
  afterEach(() => h.close());

  /** Objects of 150 key sets, past the 64 record ids, each with a nested object and a Map. */
  const shapes = (): unknown[] => Array.from({ length: 300 }, (_, i) => ({ [`k${i % 150}`]: i, inner: { seq: i, tag: `t${i}` }, map: new Map([[i, [i]]]) }));

  it('is agreed only when offered: the server then defines a record once per stream, and reads the client input the same way', async () => {
    const { port } = await h.serve({ services: [WireFeed] });
    const sock = await RawSocket.connect(port);
    try {
      const ack = await sock.handshakeWith({ features: ['streams', 'stream-records'] });
      expect(ack.features).toEqual(['streams', 'stream-records']);
      const id = open(sock, 'echo', [], { credit: [100, 1 << 20] });
      const out = codec.forStream();
      const inputs = [{ seq: 1, value: 'a' }, { seq: 2, value: 'b' }, { seq: 3, value: 'c' }];
      for (const m of inputs) sock.sendFrame(FrameType.STREAM_DATA, id, out.encode(m));
      sock.sendFrame(FrameType.STREAM_END, id);
      const frames = await framesUntilTerminal(sock, id);
      const data = frames.filter((f) => f.type === FrameType.STREAM_DATA);
      const back = codec.forStream();
      expect(data.map((f) => back.decode(f.payload))).toEqual(inputs);
      // The keys travel with the first message only.
      expect(data[0].payload.includes(Buffer.from('value'))).toBe(true);
      expect(data[1].payload.includes(Buffer.from('value'))).toBe(false);
    } finally {
      await sock.destroy();
    }
  });

  it('is left off for a client that offers only streams: every message reads alone', async () => {
    const { port } = await h.serve({ services: [WireFeed] });
    const sock = await RawSocket.connect(port);
    try {
      expect((await sock.handshakeWith({ features: ['streams'] })).features).toEqual(['streams']);
      const id = open(sock, 'echo', [], { credit: [100, 1 << 20] });
      for (const m of [{ seq: 1 }, { seq: 2 }]) sock.sendFrame(FrameType.STREAM_DATA, id, codec.encode(m));
      sock.sendFrame(FrameType.STREAM_END, id);
      const data = (await framesUntilTerminal(sock, id)).filter((f) => f.type === FrameType.STREAM_DATA);
      // A fresh decoder for each message: nothing carries over.
      expect(data.map((f) => new MsgpackCodec().decode(f.payload))).toEqual([{ seq: 1 }, { seq: 2 }]);
    } finally {
      await sock.destroy();
    }
  });

  it('carries objects of 150 key sets both ways through a bidi stream, in order, with Maps as Maps', async () => {
    await h.serve({ services: [WireFeed] });
    const client = h.client();
    const sent = shapes();
    const got: unknown[] = [];
    for await (const m of client.stream('WireFeed', 'echo', [sent])) got.push(m);
    expect(got).toEqual(sent);
    // A second stream on the same connection starts with definitions of its own.
    const again: unknown[] = [];
    for await (const m of client.stream('WireFeed', 'echo', [sent.slice(0, 10)])) again.push(m);
    expect(again).toEqual(sent.slice(0, 10));
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
