import { bearerAuth, bearerToken, RpcError, type App, type CallContext } from '../../../src';
import { FixtureService } from '../../fixtures/fixture-service';
import { Harness, rejection } from '../../helpers/apps';
import { RawSocket } from '../../helpers/raw-socket';

// The handshake tells strangers less, when asked: HELLO_ACK is read by any peer before any
// authentication, so an app can keep its method facts out of it.

describe('advertiseMethods', () => {
  const h = new Harness();
  afterEach(() => h.close());

  it('lists every service and method with its facts by default', async () => {
    const { port } = await h.serve({ services: [FixtureService] });
    const raw = await RawSocket.connect(port);
    try {
      const ack = await raw.handshake();
      expect(ack.services.Fixture.methods.behave).toEqual({ idempotent: true });
    } finally {
      await raw.destroy();
    }
  });

  it('with advertiseMethods: false the handshake lists no method facts', async () => {
    const { port } = await h.serve({ services: [FixtureService], advertiseMethods: false });
    const raw = await RawSocket.connect(port);
    try {
      const ack = await raw.handshake();
      expect(ack.services).toEqual({});
      expect(JSON.stringify(ack)).not.toMatch(/behave|idempotent/);
    } finally {
      await raw.destroy();
    }
  });

  it('a by-name client then treats methods as not idempotent: a failure after the request was sent is not retried', async () => {
    const { app, address } = await h.serve({ services: [FixtureService], advertiseMethods: false });
    const client = h.client({ endpoints: { Fixture: [address] } });
    const err = await rejection(client.invoke('Fixture', 'behave', ['once'], { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' } }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(app.get(FixtureService).log.started).toEqual(['once']);
    // The same call to an app that advertises is known idempotent, and retried.
    const open = await h.serve({ services: [FixtureService] });
    const other = h.client({ endpoints: { Fixture: [open.address] } });
    await other.invoke('Fixture', 'echo', ['learn the facts']);
    await expect(other.invoke('Fixture', 'behave', ['twice'], { metadata: { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' } })).resolves.toMatchObject({ key: 'twice' });
  });

  it('rejects a non-boolean advertiseMethods at createApp', async () => {
    await expect(h.serve({ services: [FixtureService], advertiseMethods: 'no' as never })).rejects.toMatchObject({ name: 'RivetConfigError', message: expect.stringContaining('advertiseMethods') });
  });
});

// With advertiseMethods: false, a by-name client learns a method's facts from an authenticated
// call: after a call by name succeeds, it asks that endpoint's rivet.Reflection.describe(service)
// once, with the metadata that call was accepted with.
describe('advertiseMethods: false, learning from an authenticated call', () => {
  const h = new Harness();
  afterEach(() => h.close());

  const TOKEN = 'tok-ada-5e1d';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const failOnce = { 'x-fail-code': 'UNAVAILABLE', 'x-fail-times': '1' };

  /** An app behind bearerAuth that advertises nothing, recording every call that reaches it. */
  async function serveGuarded(reflection = true, refuseReflection = false): Promise<{ app: App; address: string; seen: Array<{ name: string; args: unknown[]; authorization: string | undefined }> }> {
    const seen: Array<{ name: string; args: unknown[]; authorization: string | undefined }> = [];
    const record = (ctx: CallContext, next: () => Promise<unknown>): Promise<unknown> => {
      if (ctx.side === 'server') seen.push({ name: `${ctx.service}.${ctx.method}`, args: ctx.args, authorization: ctx.metadata.authorization });
      if (refuseReflection && ctx.service === 'rivet.Reflection') return Promise.reject(new RpcError('PERMISSION_DENIED', 'no reflection for you'));
      return next();
    };
    const { app, address } = await h.serve({
      services: [FixtureService],
      advertiseMethods: false,
      reflection,
      interceptors: [record, bearerAuth({ verify: (t) => (t === TOKEN ? { name: 'ada' } : undefined) })],
    });
    return { app, address, seen };
  }
  const lookups = (seen: Array<{ name: string }>) => seen.filter((s) => s.name === 'rivet.Reflection.describe');

  it('does not retry before, and retries an idempotent method after, one authenticated call succeeded', async () => {
    const { app, address, seen } = await serveGuarded();
    const client = h.client({ endpoints: { Fixture: [address] } });
    const log = app.get(FixtureService).log;

    // Nothing known yet: a failure that reached the handler is not retried.
    const first = await rejection(client.invoke('Fixture', 'behave', ['first'], { metadata: { ...auth, ...failOnce } }));
    expect(first.code).toBe('UNAVAILABLE');
    expect(log.started).toEqual(['first']);
    // A refused call teaches nothing and asks nothing.
    expect((await rejection(client.invoke('Fixture', 'echo', ['no token']))).code).toBe('UNAUTHENTICATED');
    expect(lookups(seen)).toEqual([]);

    // One authenticated call succeeds: the client asks reflection once, with that call's token.
    await expect(client.invoke('Fixture', 'echo', ['hi'], { metadata: auth })).resolves.toBe('hi');
    const second = client.invoke('Fixture', 'behave', ['second'], { metadata: { ...auth, ...failOnce } });
    await expect(second).resolves.toMatchObject({ key: 'second' });
    expect(log.started.filter((k) => k === 'second')).toHaveLength(2);
    expect(lookups(seen)).toEqual([{ name: 'rivet.Reflection.describe', args: ['Fixture'], authorization: `Bearer ${TOKEN}` }]);

    // Later calls, and a new proxy by name on the same client, know it too; nobody asks again.
    const proxy = client.proxy<{ behave(k: string): Promise<{ key: string }> }>('Fixture', { interceptors: [bearerToken(TOKEN)] });
    await expect(proxy.behave('warm')).resolves.toMatchObject({ key: 'warm' });
    await expect(client.invoke('Fixture', 'behave', ['third'], { metadata: { ...auth, ...failOnce } })).resolves.toMatchObject({ key: 'third' });
    expect(log.started.filter((k) => k === 'third')).toHaveLength(2);
    expect(lookups(seen)).toHaveLength(1);
  });

  it.each([
    ['off', false, false],
    ['refused', true, true],
  ])('stays not idempotent when reflection is %s, and does not ask again at once', async (_label, reflection, refuse) => {
    const { app, address, seen } = await serveGuarded(reflection, refuse);
    const client = h.client({ endpoints: { Fixture: [address] } });
    const log = app.get(FixtureService).log;
    await expect(client.invoke('Fixture', 'echo', ['hi'], { metadata: auth })).resolves.toBe('hi');
    const err = await rejection(client.invoke('Fixture', 'behave', ['k'], { metadata: { ...auth, ...failOnce } }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(log.started).toEqual(['k']);
    for (let i = 0; i < 20; i++) await client.invoke('Fixture', 'echo', [i], { metadata: auth });
    // With reflection off the dispatcher refuses before any interceptor, so only a refusal is seen.
    expect(lookups(seen)).toHaveLength(refuse ? 1 : 0);
    const again = await rejection(client.invoke('Fixture', 'behave', ['k2'], { metadata: { ...auth, ...failOnce } }));
    expect(again.code).toBe('UNAVAILABLE');
    expect(log.started).toEqual(['k', 'k2']);
  });
});
