import { accessLog, createApp, currentContext, Method, RivetConfigError, Service } from '../../src';
import { decodeError, encodeRequest, encodeRequestV2Framed, finishFrame, FrameFlags, FrameType, LOAD_REPORT_BYTES, MsgpackCodec, readLoadReport } from '../../src/protocol';
import { delay } from '../helpers/abort';
import { Harness, rejection } from '../helpers/apps';
import { logSink } from '../helpers/log-sink';
import { RawSocket } from '../helpers/raw-socket';

/** Records every handler start, so a test can prove a refused call never ran. */
@Service('Work')
class WorkService {
  readonly started: string[] = [];

  @Method()
  async wait(key: string, ms: number): Promise<string> {
    this.started.push(key);
    await delay(ms, (currentContext() as { signal: AbortSignal }).signal);
    return key;
  }

  @Method()
  add(a: number, b: number): number {
    this.started.push(`add ${a} ${b}`);
    return a + b;
  }
}

const codec = new MsgpackCodec();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A v2 REQUEST frame with `timeoutMs` in its head and `body` (any bytes) after it. */
function v2Request(id: number, service: string, method: string, timeoutMs: number, args: unknown[]): Buffer {
  return finishFrame(encodeRequestV2Framed(codec, service, method, args, null, timeoutMs), FrameType.REQUEST, 0, id);
}

describe('overload protection (admission), server side', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('sheds a call that cannot start in time: RESOURCE_EXHAUSTED, reason OVERLOADED, retryAfterMs, not processed; its handler never runs', async () => {
    const { app, address } = await h.serve({ services: [WorkService], admission: { limit: 1, maxQueueMs: 20 } });
    const svc = app.get(WorkService);
    const client = h.client({ endpoints: { Work: [address] }, policy: { breaker: false, retry: false } });
    const first = client.invoke('Work', 'wait', ['first', 300], { timeoutMs: 2_000 });
    await sleep(20);
    const err = await rejection(client.invoke('Work', 'wait', ['second', 1], { timeoutMs: 2_000 }));
    expect(err.code).toBe('RESOURCE_EXHAUSTED');
    expect(err.details).toEqual({ reason: 'OVERLOADED', retryAfterMs: expect.any(Number) });
    expect((err.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(err.notProcessed).toBe(true);
    await expect(first).resolves.toBe('first');
    expect(svc.started).toEqual(['first']);
  });

  it('answers a request whose deadline passed at once, before decoding its arguments, and never runs it', async () => {
    const { app, port } = await h.serve({ services: [WorkService] });
    const sock = await RawSocket.connect(port);
    try {
      const ack = await sock.handshake('msgpack', [2, 1]);
      expect(ack.version).toBe(2);
      // timeoutMs 0 in the head, and bytes after it that are no msgpack at all: the deadline decides first.
      const frame = v2Request(7, 'Work', 'add', 0, [1, 2]);
      frame.fill(0xc1, frame.length - 4);
      sock.write(frame);
      const reply = await sock.nextFrame();
      expect(reply.type).toBe(FrameType.ERROR);
      expect(reply.id).toBe(7);
      expect(reply.flags & FrameFlags.NOT_PROCESSED).toBe(FrameFlags.NOT_PROCESSED);
      expect(reply.flags & FrameFlags.LOAD_REPORT).toBe(FrameFlags.LOAD_REPORT);
      const e = decodeError(codec, reply.payload.subarray(LOAD_REPORT_BYTES));
      expect(e.code).toBe('DEADLINE_EXCEEDED');
      expect(e.details).toEqual({ reason: 'DEADLINE' });
      expect(app.get(WorkService).started).toEqual([]);
    } finally {
      await sock.destroy();
    }
  });

  it('piggybacks a load report on v2 replies, and speaks version 1 (no report) to peers that offer only it', async () => {
    const { port } = await h.serve({ services: [WorkService] });
    const v2 = await RawSocket.connect(port);
    const v1 = await RawSocket.connect(port);
    try {
      await v2.handshake('msgpack', [2, 1]);
      v2.write(v2Request(1, 'Work', 'add', 1_000, [2, 3]));
      const r2 = await v2.nextFrame();
      expect(r2.type).toBe(FrameType.RESPONSE);
      expect(r2.flags).toBe(FrameFlags.LOAD_REPORT);
      const report = readLoadReport(r2.payload);
      expect(report.inFlight).toBeGreaterThanOrEqual(0);
      expect(report.limit).toBeGreaterThan(0);
      expect(report.queueDelayMs).toBeGreaterThanOrEqual(0);
      expect(codec.decode(r2.payload.subarray(LOAD_REPORT_BYTES))).toBe(5);

      const ack = await v1.handshake('msgpack', [1]);
      expect(ack.version).toBe(1);
      v1.sendFrame(FrameType.REQUEST, 1, encodeRequest(codec, 'Work', 'add', [4, 5], {}, 1_000));
      const r1 = await v1.nextFrame();
      expect(r1.type).toBe(FrameType.RESPONSE);
      expect(r1.flags).toBe(0);
      expect(codec.decode(r1.payload)).toBe(9);
    } finally {
      await v2.destroy();
      await v1.destroy();
    }
  });

  it('reports its load through app.load()', async () => {
    const { app, address } = await h.serve({ services: [WorkService], admission: { limit: 3 } });
    const client = h.client({ endpoints: { Work: [address] }, policy: { breaker: false, retry: false } });
    const calls = [1, 2, 3, 4].map((i) => client.invoke('Work', 'wait', [`k${i}`, 150], { timeoutMs: 2_000 }));
    await sleep(60);
    const load = app.load();
    expect(load).toEqual({ concurrency: 3, limit: 3, queued: 1, shedPerSecond: 0, eventLoopUtilization: expect.any(Number) });
    expect(load.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(load.eventLoopUtilization).toBeLessThanOrEqual(1);
    await Promise.all(calls);
  });

  it('writes an access log line with the code of a shed call', async () => {
    const { logger, lines } = logSink();
    const { address } = await h.serve({ services: [WorkService], admission: { limit: 1, maxQueueMs: 10 }, interceptors: [accessLog({ logger })] });
    const client = h.client({ endpoints: { Work: [address] }, policy: { breaker: false, retry: false } });
    const first = client.invoke('Work', 'wait', ['first', 200], { timeoutMs: 2_000 });
    await sleep(20);
    await rejection(client.invoke('Work', 'wait', ['second', 1], { timeoutMs: 2_000 }));
    await first;
    const shed = lines.filter((l) => l.msg === 'call shed');
    expect(shed).toEqual([expect.objectContaining({ side: 'server', service: 'Work', method: 'wait', code: 'RESOURCE_EXHAUSTED', shed: 'QUEUE_TIMEOUT' })]);
  });

  it('admission: false restores the old behaviour: every call runs as it arrives, and no load reports', async () => {
    const { app, address, port } = await h.serve({ services: [WorkService], admission: false });
    const client = h.client({ endpoints: { Work: [address] }, policy: { breaker: false, retry: false } });
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    await expect(Promise.all(keys.map((k) => client.invoke('Work', 'wait', [k, 20], { timeoutMs: 5_000 })))).resolves.toEqual(keys);
    expect(app.load()).toEqual({ concurrency: 0, limit: Infinity, queued: 0, shedPerSecond: 0, eventLoopUtilization: expect.any(Number) });
    const sock = await RawSocket.connect(port);
    try {
      await sock.handshake('msgpack', [2, 1]);
      sock.write(v2Request(1, 'Work', 'add', 1_000, [1, 1]));
      const r = await sock.nextFrame();
      expect(r.flags).toBe(0);
      expect(codec.decode(r.payload)).toBe(2);
    } finally {
      await sock.destroy();
    }
  });

  it('validates its options when the app is created', async () => {
    await expect(createApp({ logger: false, services: [WorkService], admission: { limit: 0 } })).rejects.toThrow(RivetConfigError);
    await expect(createApp({ logger: false, services: [WorkService], admission: { maxQueueMs: 'soon' as never } })).rejects.toThrow(/admission\.maxQueueMs/);
    await expect(createApp({ logger: false, services: [WorkService], admission: { limits: 3 } as never })).rejects.toThrow(/limit/);
  });
});
