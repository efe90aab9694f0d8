import { RpcError } from '../../../src';
import { ClientCall } from '../../../src/client/client-call';
import type { ChannelCall } from '../../../src/client/connection/channel-call';
import { type FactsChannel, ReflectionFacts } from '../../../src/client/reflection-facts';

/** A channel whose handshake advertised nothing, answering rivet.Reflection as told. */
class FakeChannel implements FactsChannel {
  readonly sent: Array<{ service: string; method: string; args: unknown[]; metadata: Record<string, string> }> = [];
  constructor(private readonly answer: (ctx: ChannelCall) => Promise<unknown>) {}
  methodFacts(): undefined {
    return undefined;
  }
  call(ctx: ChannelCall): Promise<unknown> {
    this.sent.push({ service: ctx.service, method: ctx.method, args: ctx.args, metadata: ctx.metadata });
    return this.answer(ctx);
  }
}

const DESCRIBED = { name: 'Svc', methods: [{ name: 'get', idempotent: true, timeoutMs: 250 }, { name: 'put', idempotent: false }] };

/** A call by name, still learning (nothing known of its method). */
function byName(method: string, metadata: Record<string, string> = {}): ClientCall {
  const call = new ClientCall('Svc', method, [], metadata, Date.now() + 10_000, false, false);
  call.startedAtMs = Date.now();
  return call;
}

describe('ReflectionFacts', () => {
  it('asks describe(service) once after a success, with the call metadata less the attempt keys, and later calls learn from it', async () => {
    const facts = new ReflectionFacts();
    const channel = new FakeChannel(() => Promise.resolve(DESCRIBED));
    const first = byName('get', { authorization: 'Bearer t', 'rivet-attempt': '2', 'rivet-hedge': '1', 'x-tenant': 'a' });
    expect(facts.learn(first, channel, true)).toBeUndefined();
    expect(first.idempotentKnown).toBe(false); // in the background: the call that asked learns nothing
    expect(channel.sent).toEqual([{ service: 'rivet.Reflection', method: 'describe', args: ['Svc'], metadata: { authorization: 'Bearer t', 'x-tenant': 'a' } }]);

    // A failure while the lookup is out gets the lookup to wait for.
    const failing = byName('get');
    const pending = facts.learn(failing, channel, false);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    facts.learn(failing, channel, false);
    expect(failing).toMatchObject({ idempotent: true, idempotentKnown: true, learnt: { idempotent: true, timeoutMs: 250 } });
    expect(failing.deadline).toBeLessThanOrEqual((failing.learnt?.timeoutMs ?? 0) + Date.now());

    const put = byName('put');
    facts.learn(put, channel, true);
    expect(put).toMatchObject({ idempotent: false, idempotentKnown: true });
    const unknown = byName('nope');
    facts.learn(unknown, channel, true);
    expect(unknown.idempotentKnown).toBe(false);
    expect(channel.sent).toHaveLength(1);
  });

  it('asks each endpoint for itself, and does not ask after a failed call', async () => {
    const facts = new ReflectionFacts();
    const a = new FakeChannel(() => Promise.resolve(DESCRIBED));
    const b = new FakeChannel(() => Promise.resolve(DESCRIBED));
    expect(facts.learn(byName('get'), b, false)).toBeUndefined();
    expect(b.sent).toHaveLength(0);
    facts.learn(byName('get'), a, true);
    facts.learn(byName('get'), b, true);
    expect([a.sent.length, b.sent.length]).toEqual([1, 1]);
  });

  it('after a refusal leaves the method unknown and holds the next lookup back, 5 s doubling', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const facts = new ReflectionFacts();
      const channel = new FakeChannel(() => Promise.reject(new RpcError('UNIMPLEMENTED', 'no reflection')));
      await facts.learn(byName('get'), channel, true);
      await facts.learn(byName('get'), channel, false); // the refusal settles
      const call = byName('get');
      facts.learn(call, channel, true);
      expect(call.idempotentKnown).toBe(false);
      expect(channel.sent).toHaveLength(1);
      now += 4_999;
      facts.learn(byName('get'), channel, true);
      expect(channel.sent).toHaveLength(1);
      now += 1;
      facts.learn(byName('get'), channel, true);
      expect(channel.sent).toHaveLength(2);
      await facts.learn(byName('get'), channel, false);
      now += 9_999;
      facts.learn(byName('get'), channel, true);
      expect(channel.sent).toHaveLength(2);
      now += 1;
      facts.learn(byName('get'), channel, true);
      expect(channel.sent).toHaveLength(3);
      await facts.learn(byName('get'), channel, false);
    } finally {
      clock.mockRestore();
    }
  });
});
