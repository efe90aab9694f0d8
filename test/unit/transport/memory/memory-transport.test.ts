import { encodeFrame, FrameType } from '../../../../src/protocol';
import { type Connection, MemoryNetwork, MemoryTransport } from '../../../../src/transport';

interface Received {
  frames: Array<{ type: number; id: number; payload: string }>;
  closed: Promise<string | undefined>;
}

function watch(conn: Connection): Received {
  const frames: Received['frames'] = [];
  let onClose!: (reason: string | undefined) => void;
  const closed = new Promise<string | undefined>((resolve) => (onClose = resolve));
  conn.attach({ onFrame: (type, _flags, id, payload) => frames.push({ type, id, payload: payload.toString() }), onClose });
  return { frames, closed };
}

/** Lets queued deliveries (nextTick) and promise reactions run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

async function pair(network = new MemoryNetwork()): Promise<{ client: Connection; server: Connection; network: MemoryNetwork; transport: MemoryTransport }> {
  const transport = new MemoryTransport(network);
  let server: Connection | undefined;
  const listener = await transport.listen('svc', 0, (c) => (server = c));
  const client = await transport.connect(listener.host, listener.port);
  return { client, server: server as Connection, network, transport };
}

const frame = (id: number, text: string): Buffer | readonly Buffer[] => encodeFrame(FrameType.REQUEST, 0, id, Buffer.from(text));

describe('MemoryTransport', () => {
  it('carries frames both ways, in order, with the addresses of both ends', async () => {
    const { client, server } = await pair();
    const s = watch(server);
    const c = watch(client);
    client.send(frame(1, 'a'));
    client.send(frame(2, 'b'));
    client.send(frame(3, 'c'));
    server.send(frame(9, 'z'));
    await settle();
    expect(s.frames.map((f) => [f.id, f.payload])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(c.frames.map((f) => [f.id, f.payload])).toEqual([[9, 'z']]);
    expect(client.remoteAddress).toBe('svc:1');
    expect(server.remoteAddress).toMatch(/^memory-client:\d+$/);
    client.destroy();
    await Promise.all([c.closed, s.closed]);
  });

  it('hands out fresh ports for port 0 and refuses a taken address with EADDRINUSE', async () => {
    const t = new MemoryTransport();
    const a = await t.listen('h', 0, () => {});
    const b = await t.listen('h', 0, () => {});
    expect(b.port).not.toBe(a.port);
    await expect(t.listen('h', a.port, () => {})).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await a.close();
    await b.close();
  });

  it('refuses a connect where nothing listens with ECONNREFUSED, and after the listener closed', async () => {
    const t = new MemoryTransport();
    await expect(t.connect('nowhere', 7)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const l = await t.listen('h', 0, (c) => c.destroy());
    await l.close();
    await expect(t.connect('h', l.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects a connect whose signal aborted', async () => {
    const t = new MemoryTransport();
    const l = await t.listen('h', 0, (c) => c.destroy());
    await expect(t.connect('h', l.port, { signal: AbortSignal.abort() })).rejects.toThrow('connect aborted');
    await l.close();
  });

  it('keeps frames that arrive before attach until the receiver attaches', async () => {
    const { client, server } = await pair();
    client.send(frame(1, 'early'));
    await settle();
    const s = watch(server);
    await settle();
    expect(s.frames.map((f) => f.payload)).toEqual(['early']);
    client.destroy();
    await s.closed;
  });

  it('end() delivers what was queued, then both ends close cleanly (no reason)', async () => {
    const { client, server } = await pair();
    const s = watch(server);
    const c = watch(client);
    client.send(frame(1, 'last'));
    client.end();
    expect(await s.closed).toBeUndefined();
    expect(await c.closed).toBeUndefined();
    expect(s.frames.map((f) => f.payload)).toEqual(['last']);
    expect(client.closed && server.closed).toBe(true);
  });

  it('destroy() closes this end at once and the peer sees a clean end', async () => {
    const { client, server } = await pair();
    const s = watch(server);
    const c = watch(client);
    server.destroy('going away');
    expect(await c.closed).toBeUndefined();
    expect(await s.closed).toBe('going away');
  });

  it('drop() resets the link: both ends close with ECONNRESET and bytes in the link are lost', async () => {
    const { client, server, network } = await pair();
    const s = watch(server);
    const c = watch(client);
    const [link] = network.links();
    link.pause();
    client.send(frame(1, 'lost'));
    await settle();
    link.drop();
    expect(await c.closed).toMatch(/^ECONNRESET/);
    expect(await s.closed).toMatch(/^ECONNRESET/);
    expect(s.frames).toEqual([]);
    expect(network.links()).toEqual([]);
  });

  it('pause() holds bytes one way or both, and resume() delivers them in order', async () => {
    const { client, server, network } = await pair();
    const s = watch(server);
    const c = watch(client);
    const [link] = network.links(client.remoteAddress);
    link.pause('toServer');
    client.send(frame(1, 'held'));
    server.send(frame(2, 'flows'));
    await settle();
    expect(s.frames).toEqual([]);
    expect(c.frames.map((f) => f.payload)).toEqual(['flows']);
    client.send(frame(3, 'also held'));
    await settle();
    link.resume();
    await settle();
    expect(s.frames.map((f) => f.payload)).toEqual(['held', 'also held']);
    client.end();
    await Promise.all([c.closed, s.closed]);
  });

  it('applies backpressure: a stalled link stops the writer, and everything arrives once it flows', async () => {
    const { client, server, network } = await pair();
    const s = watch(server);
    const [link] = network.links();
    link.pause();
    const big = Buffer.alloc(64 * 1024, 1);
    for (let i = 1; i <= 64; i++) client.send(encodeFrame(FrameType.REQUEST, 0, i, big));
    await settle();
    expect(s.frames).toEqual([]);
    link.resume();
    for (let i = 0; i < 200 && s.frames.length < 64; i++) await settle(1);
    expect(s.frames.map((f) => f.id)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    client.destroy();
    await s.closed;
  });
});
