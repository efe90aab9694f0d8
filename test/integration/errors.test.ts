import { isRpcError, RpcError, type App, type Client } from '../../src';
import { FixtureService } from '../fixtures/fixture-service';
import { Harness } from '../helpers/apps';

/** The RpcError `p` rejects with; fails the test when it resolves or rejects with anything else. */
async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const outcome = await p.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!isRpcError(outcome.err)) throw new Error(`expected an RpcError, got ${String(outcome.err)}`);
  // Every error a client hands back says what it tried, even when it tried nothing.
  expect(Array.isArray(outcome.err.attempts)).toBe(true);
  return outcome.err;
}

describe('errors', () => {
  const h = new Harness();
  let app: App;
  let address: string;
  let client: Client;

  beforeEach(async () => {
    ({ app, address } = await h.serve({ services: [FixtureService] }));
    client = h.client({ endpoints: { Fixture: [address], Nope: [address] } });
  });
  afterEach(() => h.close());

  describe('from handlers', () => {
    it('delivers an RpcError thrown by a handler with the same code, message and details', async () => {
      const err = await rejection(
        client.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-fail-code': 'FAILED_PRECONDITION', 'x-fail-message': 'account is frozen' } }),
      );
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe('FAILED_PRECONDITION');
      expect(err.message).toBe('account is frozen');
      expect(err.details).toStrictEqual({ attempt: 1 });
      expect(err.attempts).toEqual([expect.objectContaining({ endpoint: address, code: 'FAILED_PRECONDITION' })]);
    });

    it.each(['INVALID_ARGUMENT', 'NOT_FOUND', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'UNAUTHENTICATED', 'DATA_LOSS'] as const)(
      'keeps the code %s as the handler threw it',
      async (code) => {
        const err = await rejection(client.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-fail-code': code } }));
        expect(err.code).toBe(code);
        expect(err.message).toBe('failing k');
      },
    );

    it('turns any other throw into UNKNOWN with its message and no stack', async () => {
      const err = await rejection(client.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-throw-plain': 'disk on fire' } }));
      expect(err.code).toBe('UNKNOWN');
      expect(err.message).toBe('disk on fire');
      expect(err.details).toBeUndefined();
    });

    it('sends the stack in details.stack when the app sets exposeErrorStack', async () => {
      const exposed = await h.serve({ services: [FixtureService], exposeErrorStack: true });
      const c = h.client({ endpoints: { Fixture: [exposed.address] } });
      const err = await rejection(c.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-throw-plain': 'disk on fire' } }));
      expect(err.code).toBe('UNKNOWN');
      expect(err.message).toBe('disk on fire');
      const stack = (err.details as { stack?: unknown }).stack;
      expect(typeof stack).toBe('string');
      expect(stack).toMatch(/^Error: disk on fire\n\s+at /);
    });

    it('carries the same error across the JSON codec', async () => {
      const json = await h.serve({ services: [FixtureService], codec: 'json' });
      const c = h.client({ endpoints: { Fixture: [json.address] }, codec: 'json' });
      const err = await rejection(c.invoke('Fixture', 'behave', ['k'], { metadata: { 'x-fail-code': 'FAILED_PRECONDITION', 'x-fail-message': 'conflict' } }));
      expect([err.code, err.message, err.details]).toStrictEqual(['FAILED_PRECONDITION', 'conflict', { attempt: 1 }]);
    });
  });

  describe('calls nothing can answer', () => {
    it.each<[string, string, string]>([
      ['an unknown service', 'Nope', 'echo'],
      ['an unknown method', 'Fixture', 'nothingHere'],
      ['a member that is not a @Method', 'Fixture', 'secret'],
      ['constructor', 'Fixture', 'constructor'],
      ['toString', 'Fixture', 'toString'],
      ['__proto__', 'Fixture', '__proto__'],
      ['hasOwnProperty', 'Fixture', 'hasOwnProperty'],
      ['valueOf', 'Fixture', 'valueOf'],
    ])('answers %s with UNIMPLEMENTED and runs nothing', async (_, service, method) => {
      const log = app.get(FixtureService).log;
      const err = await rejection(client.invoke(service, method, ['x']));
      expect(err.code).toBe('UNIMPLEMENTED');
      expect(err.details).toEqual({ reason: 'UNKNOWN_METHOD' });
      expect(log).toEqual({ started: [], finished: [], aborted: [] });
      // The connection is fine afterwards.
      expect(await client.invoke('Fixture', 'echo', ['ok'])).toBe('ok');
    });

    it('answers UNIMPLEMENTED for a non-@Method member called through a typed proxy', async () => {
      const proxy = h.client({ endpoints: { Fixture: [address] } }).proxy(FixtureService);
      const err = await rejection(proxy.secret());
      expect(err.code).toBe('UNIMPLEMENTED');
      expect(app.get(FixtureService).log.started).toEqual([]);
    });

    it('fails a service with no known instance at once with UNAVAILABLE, not at the deadline', async () => {
      const byRegistry = h.client();
      const started = performance.now();
      const err = await rejection(byRegistry.invoke('Ghost', 'ping', [], { timeoutMs: 5_000 }));
      const elapsedMs = performance.now() - started;
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.details).toEqual({ reason: 'NO_INSTANCES' });
      expect(elapsedMs).toBeLessThan(100);
      // Endpoints given for other services only: the same.
      const err2 = await rejection(client.invoke('Ghost', 'ping', [], { timeoutMs: 5_000 }));
      expect(err2.code).toBe('UNAVAILABLE');
      expect(err2.details).toEqual({ reason: 'NO_INSTANCES' });
    });
  });

  describe('errors the client raises itself', () => {
    it('records attempts on an invalid timeoutMs call option', async () => {
      const err = await rejection(client.invoke('Fixture', 'echo', ['x'], { timeoutMs: -1 }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.attempts).toEqual([]);
    });

    it('records attempts on args that are not an array', async () => {
      const err = await rejection(client.invoke('Fixture', 'echo', 'x' as unknown as unknown[]));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.attempts).toEqual([]);
    });

    it('records attempts on a call whose signal was aborted before it started', async () => {
      const err = await rejection(client.invoke('Fixture', 'echo', ['x'], { signal: AbortSignal.abort() }));
      expect(err.code).toBe('CANCELLED');
      expect(err.attempts).toEqual([]);
    });

    it('records attempts on a call made after the client was closed', async () => {
      const c = h.client({ endpoints: { Fixture: [address] } });
      expect(await c.invoke('Fixture', 'echo', ['x'])).toBe('x');
      await c.close();
      // A service it already called, and one it never called, answer alike.
      for (const service of ['Fixture', 'NeverCalled']) {
        const err = await rejection(c.invoke(service, 'echo', ['x']));
        expect(err.code).toBe('UNAVAILABLE');
        expect(err.details).toEqual({ reason: 'CLIENT_CLOSED' });
        expect(err.attempts).toEqual([]);
      }
    });
  });
});
