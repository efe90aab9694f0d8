import { openSession, type Session } from '../../../../src/client/connection/connect';
import { PeakEwma } from '../../../../src/client/connection/peak-ewma';
import { MemoryTransport } from '../../../../src/transport';
import { channelOptions, flush, ScriptedPeer } from '../memory-peer';

// openSession is connect + handshake on its own: what it returns is all a channel needs.
const sessions: Session[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.conn.destroy();
  await flush();
});

async function open(transport: MemoryTransport, host: string, port: number, cancel = new AbortController().signal): Promise<Session> {
  const s = await openSession(host, port, `${host}:${port}`, channelOptions(transport), cancel);
  sessions.push(s);
  return s;
}

function rejection(p: Promise<unknown>): Promise<{ code?: string; reason?: unknown; notProcessed?: boolean }> {
  return p.then(
    () => ({}),
    (err: { code: string; details?: { reason?: unknown }; notProcessed?: boolean }) => ({ code: err.code, reason: err.details?.reason, notProcessed: err.notProcessed }),
  );
}

describe('openSession (connect + handshake)', () => {
  it("resolves with the agreed codec, the server's limit and what it advertised; not draining", async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    const { host, port } = await peer.listen();
    const s = await open(transport, host, port);
    expect(s.codec.name).toBe('msgpack');
    expect(s.peerMaxFrameBytes).toBe(1 << 20);
    expect(s.services).toEqual({ Peer: { methods: {} } });
    expect(s.draining).toBe(false);
    expect(s.lostWith).toBeUndefined();
    expect(s.conn.closed).toBe(false);
  });

  it('records a DRAIN sent with the HELLO_ACK', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    peer.drainWithHelloAck = true;
    const { host, port } = await peer.listen();
    const s = await open(transport, host, port);
    await flush();
    expect(s.draining).toBe(true);
  });

  it('rejects with CONNECT_FAILED, not processed, when nothing listens', async () => {
    const transport = new MemoryTransport();
    expect(await rejection(open(transport, 'nobody', 9))).toEqual({ code: 'UNAVAILABLE', reason: 'CONNECT_FAILED', notProcessed: true });
  });

  it('rejects with CLIENT_CLOSED when cancelled, and leaves no connection open', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    const { host, port } = await peer.listen();
    const cancel = new AbortController();
    const opening = rejection(open(transport, host, port, cancel.signal));
    cancel.abort();
    expect(await opening).toEqual({ code: 'UNAVAILABLE', reason: 'CLIENT_CLOSED', notProcessed: true });
    await flush();
    expect(peer.closed).toEqual(peer.connections);
  });

  it('records a close that comes after the HELLO_ACK, before anyone took the connection', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    const { host, port } = await peer.listen();
    const s = await open(transport, host, port);
    peer.destroyAll();
    await flush();
    expect(s.lostWith).toBeDefined();
  });
});

describe('PeakEwma', () => {
  it('takes a slower sample at once and blends a faster one by the time since the last', () => {
    const e = new PeakEwma();
    expect(e.msAt(0)).toBe(0);
    e.record(0, 10);
    expect(e.msAt(10)).toBe(10);
    e.record(10, 50); // slower: 40 at once
    expect(e.msAt(50)).toBe(40);
    e.record(50, 52); // 2 ms, 2 ms after the last sample: barely moves
    expect(e.msAt(52)).toBeGreaterThan(39);
    e.record(5_000, 5_002); // 2 ms, seconds later: nearly forgotten
    expect(e.msAt(5_002)).toBeLessThan(3);
  });

  it('decays toward zero while no reply comes, so a once-slow endpoint that lost every draw is tried again', () => {
    const e = new PeakEwma();
    e.record(0, 200); // one 200 ms stall
    expect(e.msAt(200.5)).toBe(200);
    expect(e.msAt(1_200)).toBeCloseTo(200 / Math.E, 5);
    // Four seconds of silence: cheaper than a healthy 5 ms peer, so the next p2c draw picks it.
    expect(e.msAt(4_200)).toBeLessThan(5);
  });
});
