import { Channel, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from '../../../src/client/connection/channel';
import { RpcError } from '../../../src/errors';
import { MemoryNetwork, MemoryTransport } from '../../../src/transport';
import { channelOptions, clientCall, flush, outcome, ScriptedPeer, snapshot } from './memory-peer';

// Deterministic time: Date, performance.now() and timers are jest's; deliveries on the memory
// transport (process.nextTick) and promises run as usual.
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  // The reconnect jitter (0.8-1.2) sits at its middle: backoffs are exactly 100, 200, 400 ms...
  jest.spyOn(Math, 'random').mockReturnValue(0.5);
});

afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

const channels: Channel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
});

function channelTo(transport: MemoryTransport, host: string, port: number, overrides: Parameters<typeof channelOptions>[1] = {}): Channel {
  const c = new Channel(host, port, `${host}:${port}`, channelOptions(transport, overrides));
  channels.push(c);
  return c;
}

describe('Channel reconnect backoff', () => {
  it('backs off 100, 200, 400 ms... after failed connects, capped at RECONNECT_MAX_MS, and refuses calls meanwhile as not processed', async () => {
    const transport = new MemoryTransport();
    const channel = channelTo(transport, 'down', 7);
    const expected = [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000];
    expect(RECONNECT_INITIAL_MS).toBe(100);
    expect(RECONNECT_MAX_MS).toBe(10_000);
    for (const backoffMs of expected) {
      expect(await outcome(channel.call(clientCall('a')))).toMatchObject({ code: 'UNAVAILABLE', reason: 'CONNECT_FAILED', notProcessed: true });
      expect(channel.state).toBe('backoff');
      expect(channel.retryInMs).toBe(backoffMs);
      // Inside the backoff a call fails at once, without dialling.
      jest.advanceTimersByTime(backoffMs - 1);
      expect(await outcome(channel.call(clientCall('a')))).toMatchObject({ code: 'UNAVAILABLE', reason: 'CONNECT_BACKOFF', notProcessed: true });
      jest.advanceTimersByTime(1);
      expect(channel.state).toBe('idle');
    }
  });

  it('connects once the backoff is over and the server is up, and forgets the failures', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    const channel = channelTo(transport, 'peer', 1);
    for (let i = 0; i < 3; i++) {
      expect(await outcome(channel.call(clientCall('a')))).toMatchObject({ reason: 'CONNECT_FAILED' });
      jest.advanceTimersByTime(channel.retryInMs);
    }
    await peer.listen('peer', 1);
    expect(await outcome(channel.call(clientCall('a')))).toEqual({ value: 'ok' });
    expect(snapshot(channel)).toEqual({ state: 'ready', inFlight: 0 });
    // A connection lost after success reconnects at once (no backoff), and the next failure
    // backs off from the start again.
    peer.destroyAll();
    await flush();
    expect(channel.state).toBe('idle');
    await peer.stopListening();
    expect(await outcome(channel.call(clientCall('a')))).toMatchObject({ reason: 'CONNECT_FAILED' });
    expect(channel.retryInMs).toBe(RECONNECT_INITIAL_MS);
  });
});

describe('Channel and DRAIN', () => {
  it('a DRAIN that comes with the HELLO_ACK leaves the channel draining, and the call that connected is refused as not processed', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    peer.drainWithHelloAck = true;
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port);
    expect(await outcome(channel.call(clientCall('a')))).toMatchObject({ code: 'UNAVAILABLE', notProcessed: true });
    expect(channel.state).toBe('draining');
    // Later calls are refused without reaching the wire, so a retry goes to another endpoint.
    expect(await outcome(channel.call(clientCall('b')))).toMatchObject({ code: 'UNAVAILABLE', reason: 'SERVER_DRAINING', notProcessed: true });
    await flush();
    expect(peer.requests).toEqual([]);
  });

  // A drain learnt during the handshake used to leave an idle connection open until the server's
  // close grace period (1 s) cut it.
  it('a channel told to drain during its handshake ends the connection at once, having nothing in flight', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    peer.drainWithHelloAck = true;
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port);
    await outcome(channel.call(clientCall('a')));
    await flush();
    expect(peer.closed).toEqual(peer.connections);
  });

  it('a DRAIN after the handshake lets calls in flight finish, then ends the connection; the next call reconnects', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport, () => undefined);
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port);
    const first = outcome(channel.call(clientCall('slow')));
    await flush();
    expect(peer.requests).toHaveLength(1);
    peer.drain(peer.connections[0]);
    await flush();
    expect(snapshot(channel)).toEqual({ state: 'draining', inFlight: 1 });
    expect(await outcome(channel.call(clientCall('refused')))).toMatchObject({ reason: 'SERVER_DRAINING', notProcessed: true });
    peer.reply(peer.requests[0], 'done');
    expect(await first).toEqual({ value: 'done' });
    await flush();
    expect(peer.closed).toEqual([peer.connections[0]]);
    expect(channel.state).toBe('idle');
    peer.setScript(() => ({ value: 'again' }));
    expect(await outcome(channel.call(clientCall('next')))).toEqual({ value: 'again' });
    expect(peer.connections).toHaveLength(2);
  });
});

describe('Channel keepalive', () => {
  it('a peer that stops answering pings is dropped after intervalMs + timeoutMs: calls fail CONNECTION_LOST and the endpoint backs off', async () => {
    const network = new MemoryNetwork();
    const transport = new MemoryTransport(network);
    const peer = new ScriptedPeer(transport, (req) => (req.method === 'hang' ? undefined : { value: 'ok' }));
    const { host, port, address } = await peer.listen();
    const channel = channelTo(transport, host, port, { keepalive: { intervalMs: 1_000, timeoutMs: 500 } });
    expect(await outcome(channel.call(clientCall('a')))).toEqual({ value: 'ok' });
    const hung = outcome(channel.call(clientCall('hang')));
    await flush();
    const [link] = network.links(address);
    link.pause(); // the peer freezes: nothing comes back, not even a PONG
    jest.advanceTimersByTime(1_000 + 500 - 200);
    await flush();
    expect(channel.state).toBe('ready');
    jest.advanceTimersByTime(400);
    await flush();
    expect(await hung).toMatchObject({ code: 'UNAVAILABLE', reason: 'CONNECTION_LOST' });
    expect((await hung).message).toMatch(/keepalive timeout/);
    expect(channel.state).toBe('backoff');
    expect(channel.retryInMs).toBeGreaterThan(0);
    link.drop();
    jest.advanceTimersByTime(channel.retryInMs);
    expect(await outcome(channel.call(clientCall('a')))).toEqual({ value: 'ok' });
  });

  it('a quiet connection whose peer answers pings stays up', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport);
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port, { keepalive: { intervalMs: 1_000, timeoutMs: 500 } });
    expect(await outcome(channel.call(clientCall('a')))).toEqual({ value: 'ok' });
    for (let i = 0; i < 20; i++) {
      jest.advanceTimersByTime(250);
      await flush(4);
    }
    expect(channel.state).toBe('ready');
    expect(peer.connections).toHaveLength(1);
    expect(peer.closed).toEqual([]);
  });
});

describe('Channel cancel and deadline', () => {
  async function setup() {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport, () => undefined);
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port);
    return { peer, channel };
  }

  it('a cancel that beats the deadline sends one CANCEL frame and rejects CANCELLED; the later expiry changes nothing', async () => {
    const { peer, channel } = await setup();
    const call = clientCall('hang', [], Date.now() + 1_000);
    const result = outcome(channel.call(call));
    await flush();
    call.handleEvent(); // the caller's signal aborted
    call.expire(); // and the deadline passes in the same turn
    expect(await result).toMatchObject({ code: 'CANCELLED', reason: 'CANCELLED_BY_CALLER' });
    await flush();
    expect(peer.cancels).toEqual([peer.requests[0].id]);
    expect(channel.inFlight).toBe(0);
  });

  it('a deadline that beats the cancel sends no CANCEL frame (the server keeps the same deadline) and rejects DEADLINE_EXCEEDED', async () => {
    const { peer, channel } = await setup();
    const call = clientCall('hang', [], Date.now() + 1_000);
    const result = outcome(channel.call(call));
    await flush();
    expect(peer.requests[0].timeoutMs).toBe(1_000);
    call.expire();
    call.handleEvent();
    expect(await result).toMatchObject({ code: 'DEADLINE_EXCEEDED', reason: 'DEADLINE' });
    await flush();
    expect(peer.cancels).toEqual([]);
  });

  it('a reply racing the cancel: whichever the channel sees first decides, and the call settles once', async () => {
    const { peer, channel } = await setup();
    // Cancel first: the reply already on its way is dropped.
    const cancelled = clientCall('x', [], Date.now() + 1_000);
    const r1 = outcome(channel.call(cancelled));
    await flush();
    peer.reply(peer.requests[0], 'too late');
    cancelled.abort(new RpcError('CANCELLED', 'stop'));
    expect(await r1).toMatchObject({ code: 'CANCELLED' });
    // Reply first: a cancel after it sends nothing.
    const answered = clientCall('y', [], Date.now() + 1_000);
    const r2 = outcome(channel.call(answered));
    await flush();
    peer.reply(peer.requests[1], 'in time');
    await flush();
    answered.abort(new RpcError('CANCELLED', 'stop'));
    expect(await r2).toEqual({ value: 'in time' });
    await flush();
    expect(peer.cancels).toEqual([peer.requests[0].id]);
    // The channel is intact: the next call is answered.
    peer.setScript(() => ({ value: 'next' }));
    expect(await outcome(channel.call(clientCall('z')))).toEqual({ value: 'next' });
  });

  it('a call whose deadline has passed before it is sent fails without reaching the wire', async () => {
    const { peer, channel } = await setup();
    peer.setScript(() => ({ value: 'ok' }));
    expect(await outcome(channel.call(clientCall('warm')))).toEqual({ value: 'ok' });
    expect(await outcome(channel.call(clientCall('late', [], Date.now())))).toMatchObject({ code: 'DEADLINE_EXCEEDED', notProcessed: true });
    await flush();
    expect(peer.requests.map((r) => r.method)).toEqual(['warm']);
  });
});

describe('Channel request ids', () => {
  it('wrap from 2^32-1 to 1, never 0, and replies still reach their own calls across the wrap', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport, () => undefined);
    const { host, port } = await peer.listen();
    const channel = new Channel(host, port, `${host}:${port}`, channelOptions(transport, { firstRequestId: 0xfffffffe }));
    channels.push(channel);
    const results = ['a', 'b', 'c', 'd'].map((m) => outcome(channel.call(clientCall(m))));
    await flush();
    expect(peer.requests.map((r) => [r.method, r.id])).toEqual([
      ['a', 0xfffffffe],
      ['b', 0xffffffff],
      ['c', 1],
      ['d', 2],
    ]);
    // Answer in reverse, each with its own method name.
    for (const req of [...peer.requests].reverse()) peer.reply(req, req.method);
    expect(await Promise.all(results)).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'c' }, { value: 'd' }]);
  });
});

describe('Channel close', () => {
  it('close() fails calls in flight with CLIENT_CLOSED, ends the connection, and refuses later calls', async () => {
    const transport = new MemoryTransport();
    const peer = new ScriptedPeer(transport, () => undefined);
    const { host, port } = await peer.listen();
    const channel = channelTo(transport, host, port);
    const pending = outcome(channel.call(clientCall('hang')));
    await flush();
    await channel.close();
    expect(await pending).toMatchObject({ code: 'UNAVAILABLE', reason: 'CLIENT_CLOSED' });
    expect(await outcome(channel.call(clientCall('after')))).toMatchObject({ reason: 'CLIENT_CLOSED', notProcessed: true });
    await flush();
    expect(peer.closed).toHaveLength(1);
  });
});
