import type { InterceptorFn, RpcError } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness, waitFor } from '../helpers/apps';

// After the drain, the server gives clients up to 1 s to close their connections before it cuts
// them (CLOSE_GRACE_MS in src/server/server.ts); a Rivet client closes as soon as it is answered.
const CLOSE_GRACE_MS = 1_000;

/** Settles with the call's error, or fails the test if it resolves. */
async function failure(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function reasonOf(err: RpcError): unknown {
  return (err.details as { reason?: unknown } | undefined)?.reason;
}

describe('graceful shutdown', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('lets an in-flight call finish with its value, and resolves close() after it', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const settled: string[] = [];
    const call = client.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '300' } }).then((v) => {
      settled.push('call');
      return v;
    });
    await waitFor(() => log.started.includes('slow'), 2_000, 'the handler to start');
    const closed = app.close().then(() => settled.push('close'));
    await expect(call).resolves.toMatchObject({ key: 'slow' });
    await closed;
    expect(settled).toEqual(['call', 'close']);
    expect(log.finished).toEqual(['slow']);
  });

  it('replies to every call that reached a handler before close()', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const calls = keys.map((key, i) => client.invoke('Fixture', 'behave', [key], { metadata: { 'x-delay-ms': String(50 + i * 40) } }));
    await waitFor(() => log.started.length === keys.length, 2_000, 'every handler to start');
    const closed = app.close();
    const results = (await Promise.all(calls)) as Array<{ key: string }>;
    await closed;
    expect(results.map((r) => r.key)).toEqual(keys);
  });

  it('deregisters from the registry as soon as close() starts, before the drain ends', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    expect(await h.registry.resolve('Fixture')).toHaveLength(1);
    const client = h.client({ endpoints: { Fixture: [address] } });
    let callDone = false;
    const call = client.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '300' } }).finally(() => {
      callDone = true;
    });
    await waitFor(() => log.started.includes('slow'), 2_000, 'the handler to start');
    const closed = app.close();
    await waitFor(async () => (await h.registry.resolve('Fixture')).length === 0, 2_000, 'the instance to be deregistered');
    expect(callDone).toBe(false);
    await call;
    await closed;
  });

  it('stops accepting connections: a new client cannot connect while it drains, nor after', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const first = h.client({ endpoints: { Fixture: [address] } });
    const call = first.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '300' } });
    await waitFor(() => log.started.includes('slow'), 2_000, 'the handler to start');
    const closed = app.close();
    await waitFor(async () => (await h.registry.resolve('Fixture')).length === 0, 2_000, 'the drain to begin');

    const during = await failure(h.client({ endpoints: { Fixture: [address] } }).invoke('Fixture', 'behave', ['during']));
    expect(during.code).toBe('UNAVAILABLE');
    expect(during.notProcessed).toBe(true);
    await expect(call).resolves.toMatchObject({ key: 'slow' });
    await closed;

    const after = await failure(h.client({ endpoints: { Fixture: [address] } }).invoke('Fixture', 'behave', ['after']));
    expect(after.code).toBe('UNAVAILABLE');
    expect(after.notProcessed).toBe(true);
    expect(log.started).toEqual(['slow']);
  });

  it('answers a call that reaches it during the drain with UNAVAILABLE SERVER_DRAINING, not processed, at once', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const fixture = client.proxy<FixtureService>('Fixture', { retry: false });
    const slow = client.invoke('Fixture', 'behave', ['slow'], { metadata: { 'x-delay-ms': '300' } });
    await waitFor(() => log.started.includes('slow'), 2_000, 'the handler to start');

    // Written in the same turn of the event loop as close(), the call reaches the server after
    // the drain began and before the client could see the DRAIN.
    const closed = app.close();
    const start = performance.now();
    const err = await failure(fixture.behave('late'));
    expect(performance.now() - start).toBeLessThan(50);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.notProcessed).toBe(true);
    expect(reasonOf(err)).toBe('SERVER_DRAINING');
    await expect(slow).resolves.toMatchObject({ key: 'slow' });
    await closed;
    expect(log.started).toEqual(['slow']);
  });

  it('stops sending to a draining server once the client has seen its DRAIN: the call fails fast, not processed', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const client = h.client({ endpoints: { Fixture: [address] } });
    const fixture = client.proxy<FixtureService>('Fixture', { retry: false });
    const short = client.invoke('Fixture', 'behave', ['short'], { metadata: { 'x-delay-ms': '100' } });
    const long = client.invoke('Fixture', 'behave', ['long'], { metadata: { 'x-delay-ms': '400' } });
    await waitFor(() => log.started.length === 2, 2_000, 'both handlers to start');
    const closed = app.close();
    // The DRAIN travels on the same connection ahead of this reply, so the client has seen it.
    await expect(short).resolves.toMatchObject({ key: 'short' });

    const start = performance.now();
    const err = await failure(fixture.behave('late'));
    expect(performance.now() - start).toBeLessThan(50);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.notProcessed).toBe(true);
    expect(reasonOf(err)).toBe('NO_READY_ENDPOINT');
    await expect(long).resolves.toMatchObject({ key: 'long' });
    await closed;
    expect(log.started).toEqual(['short', 'long']);
  });

  it('aborts a call still running when drainTimeoutMs passes, and its caller gets UNAVAILABLE', async () => {
    const DRAIN_MS = 200;
    const { app, address } = await h.serve({ services: [FixtureService] });
    const log = app.get(FixtureService).log;
    const hang: InterceptorFn = (ctx, next) => {
      ctx.metadata['x-hang'] = '1';
      return next();
    };
    // Retries off (behave is idempotent): the caller sees the server's own answer, not a retry's.
    const fixture = h.client({ endpoints: { Fixture: [address] } }).proxy<FixtureService>('Fixture', {
      retry: false,
      methods: { behave: { interceptors: [hang] } },
    });
    const hung = failure(fixture.behave('hung'));
    // With the default policy the client may try again elsewhere; the call still settles.
    const retried = failure(h.client({ endpoints: { Fixture: [address] } }).invoke('Fixture', 'behave', ['retried'], { metadata: { 'x-hang': '1' } }));
    await waitFor(() => log.started.length === 2, 2_000, 'both handlers to start');

    const start = performance.now();
    await app.close({ drainTimeoutMs: DRAIN_MS });
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(DRAIN_MS - 2);
    expect(elapsed).toBeLessThanOrEqual(DRAIN_MS + CLOSE_GRACE_MS);

    const err = await hung;
    expect(err.code).toBe('UNAVAILABLE');
    expect(reasonOf(err)).toBe('SERVER_SHUTDOWN');
    expect(err.notProcessed).toBe(false);
    expect((await retried).code).toBe('UNAVAILABLE');
    expect([...log.aborted].sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'hung', reason: 'UNAVAILABLE' },
      { key: 'retried', reason: 'UNAVAILABLE' },
    ]);
  });

  it('resolves close() at once when nothing is in flight, and returns the same promise when called again', async () => {
    const { app, address } = await h.serve({ services: [FixtureService] });
    await h.client({ endpoints: { Fixture: [address] } }).invoke('Fixture', 'echo', [1]);
    const start = performance.now();
    const first = app.close();
    expect(app.close()).toBe(first);
    await first;
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('moves a stream of calls to another instance with no failed call', async () => {
    const a = await h.serve({ services: [FixtureService] });
    const b = await h.serve({ services: [FixtureService] });
    const logA = a.app.get(FixtureService).log;
    const logB = b.app.get(FixtureService).log;
    const client = h.client();
    const failures: unknown[] = [];
    let stop = false;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          await client.invoke('Fixture', 'behave', [`k${n++}`]);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    // Back-to-back calls from several workers keep requests on the wire at every moment, so some
    // cross the DRAIN on their way to the closing instance.
    const workers = Array.from({ length: 8 }, worker);
    let onAAtClose: number;
    try {
      await waitFor(() => logA.finished.length >= 5 && logB.finished.length >= 5, 5_000, 'calls to land on both instances');
      await a.app.close();
      onAAtClose = logA.started.length;
      const onBAtClose = logB.started.length;
      await waitFor(() => logB.started.length >= onBAtClose + 40, 5_000, 'more calls to land on the other instance');
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    expect(failures).toEqual([]);
    expect(logA.started.length).toBe(onAAtClose);
    // Every call that reached the closed instance got its reply.
    expect(logA.finished).toHaveLength(onAAtClose);
  });

  it('refuses calls that cross its DRAIN on the wire as not processed, so they land on another instance', async () => {
    const a = await h.serve({ services: [FixtureService] });
    const b = await h.serve({ services: [FixtureService] });
    const logA = a.app.get(FixtureService).log;
    const logB = b.app.get(FixtureService).log;
    // Fixed endpoints: the client keeps picking the closing instance until its DRAIN arrives.
    const client = h.client({ endpoints: { Fixture: [a.address, b.address] } });
    await Promise.all([client.invoke('Fixture', 'echo', [1]), client.invoke('Fixture', 'echo', [2])]); // connect to both

    // close() drains at once (nothing is in flight on the server) while these are still on their
    // way: written in the same turn of the event loop, they reach the server after its DRAIN.
    const closed = a.app.close();
    const keys = ['x1', 'x2', 'x3', 'x4'];
    const results = await Promise.allSettled(keys.map((key) => client.invoke('Fixture', 'behave', [key])));
    await closed;

    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as RpcError).message))).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(logA.started).toEqual([]);
    expect([...logB.started].sort()).toEqual(keys);
  });
});
