import { isRpcError } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness } from '../helpers/apps';

// invoke never throws: whatever it is given, it returns a promise, and a bad name, bad arguments
// or bad call options reject it with INVALID_ARGUMENT. Only bad options at construction throw.

describe('client.invoke never throws', () => {
  const h = new Harness();
  afterEach(() => h.close());

  /** Calls `f`, failing the test if it throws, and returns the RpcError its promise rejects with. */
  async function rejectionOf(f: () => Promise<unknown>): Promise<{ code: string; message: string }> {
    let p: Promise<unknown>;
    try {
      p = f();
    } catch (err) {
      throw new Error(`invoke threw synchronously: ${String(err)}`);
    }
    const err = await p.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    if (!isRpcError(err)) throw new Error(`expected an RpcError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }

  it.each([
    ['an empty service name', (c: Invoke) => c.invoke('', 'echo')],
    ['an empty method name', (c: Invoke) => c.invoke('Fixture', '')],
    ['a service name that is not a string', (c: Invoke) => c.invoke(42 as never, 'echo')],
    ['a method name that is not a string', (c: Invoke) => c.invoke('Fixture', { m: 1 } as never)],
    ['a service name of a shape no app serves', (c: Invoke) => c.invoke('not a service!', 'echo')],
    ['a service name with a control character', (c: Invoke) => c.invoke('Fixture\u0000', 'echo')],
    ['a method name with whitespace', (c: Invoke) => c.invoke('Fixture', 'ec ho')],
    ['a method name with a control character', (c: Invoke) => c.invoke('Fixture', 'echo\n')],
    ['args that are not an array', (c: Invoke) => c.invoke('Fixture', 'echo', 'x' as never)],
    ['call options that are not an object', (c: Invoke) => c.invoke('Fixture', 'echo', [], 5 as never)],
    ['a timeoutMs below zero', (c: Invoke) => c.invoke('Fixture', 'echo', [], { timeoutMs: -1 })],
    ['a signal that is not an AbortSignal', (c: Invoke) => c.invoke('Fixture', 'echo', [], { signal: {} as never })],
    ['a bad retry option', (c: Invoke) => c.invoke('Fixture', 'echo', [], { retry: { maxAttempts: -2 } })],
    ['arguments the codec cannot encode (a BigInt in JSON)', (c: Invoke) => c.invoke('Fixture', 'echo', [10n])],
  ])('rejects %s with INVALID_ARGUMENT', async (_, call) => {
    const { address } = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [address] }, codec: 'json' });
    const err = await rejectionOf(() => call(client));
    expect(err.code).toBe('INVALID_ARGUMENT');
  });

  it('refuses a bad name shape at once, even with waitForReady, and says what a name may hold', async () => {
    const client = h.client({ endpoints: { Fixture: ['127.0.0.1:1'] }, policy: { waitForReady: true, timeoutMs: 10_000 } });
    const started = performance.now();
    const err = await rejectionOf(() => client.invoke('no such/service', 'echo'));
    expect(err).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('service name must start with a letter') });
    expect((await rejectionOf(() => client.invoke('Fixture', 'two words'))).message).toContain('method name must be non-empty, without whitespace');
    // Neither waited for an instance or a connection.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a name of a good shape that nobody serves is UNIMPLEMENTED, not INVALID_ARGUMENT', async () => {
    const { address } = await h.serve({ services: [FixtureService] });
    const client = h.client({ endpoints: { Fixture: [address] } });
    expect((await rejectionOf(() => client.invoke('Fixture', 'nope'))).code).toBe('UNIMPLEMENTED');
  });
});

type Invoke = { invoke(service: string, method: string, args?: unknown[], opts?: object): Promise<unknown> };
