import { hangUntilAborted, MemoryCluster } from './memory-cluster';

// The client's deadline and the server's run on jest's clock; deliveries and promises run as usual.
let cluster: MemoryCluster;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  cluster = new MemoryCluster();
});
afterEach(async () => {
  await cluster.close();
  jest.useRealTimers();
});

async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

async function setup(): Promise<{ invoke: (signal: AbortSignal) => Promise<unknown>; aborted: unknown[] }> {
  const aborted: unknown[] = [];
  await cluster.serve('a', { hang: hangUntilAborted(aborted) });
  const client = cluster.client({ retry: false });
  return { invoke: (signal) => client.invoke('Peer', 'hang', [], { timeoutMs: 100, signal }).catch((e: unknown) => e), aborted };
}

describe('a caller cancel racing the deadline, end to end', () => {
  it('cancel first: the call is CANCELLED, and the server handler is cancelled by the CANCEL frame', async () => {
    const { invoke, aborted } = await setup();
    const caller = new AbortController();
    const call = invoke(caller.signal);
    await flush();
    jest.advanceTimersByTime(99);
    caller.abort();
    await flush(); // the CANCEL frame reaches the server (whose deadline, on this clock, is the client's)
    jest.advanceTimersByTime(1); // then the deadline passes: the call has settled already
    expect(await call).toMatchObject({ code: 'CANCELLED', details: { reason: 'CANCELLED_BY_CALLER' } });
    await flush();
    expect(aborted).toEqual([expect.objectContaining({ code: 'CANCELLED', details: { reason: 'CANCELLED_BY_CALLER' } })]);
  });

  it('deadline first: the call is DEADLINE_EXCEEDED, no CANCEL frame is sent, and the server ends the handler on its own deadline', async () => {
    const { invoke, aborted } = await setup();
    const caller = new AbortController();
    const call = invoke(caller.signal);
    await flush();
    jest.advanceTimersByTime(100);
    caller.abort(); // too late: the call has settled
    expect(await call).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { reason: 'DEADLINE' } });
    await flush();
    // Had a CANCEL frame gone out, the handler would have seen CANCELLED.
    jest.advanceTimersByTime(5);
    await flush();
    expect(aborted).toEqual([expect.objectContaining({ code: 'DEADLINE_EXCEEDED' })]);
  });
});
