import { KnownFacts, learnFacts, type LearningCall, type MethodFacts, type MethodFactsSource } from '../../../src/client/method-facts';

/** A source other than a handshake, as a reflection call would be: the seam learning plugs into. */
class TableSource implements MethodFactsSource {
  constructor(private readonly table: Record<string, MethodFacts>) {}
  methodFacts(service: string, method: string): MethodFacts | undefined {
    return this.table[`${service}.${method}`];
  }
}

function byNameCall(deadline: number | undefined, startedAtMs: number | undefined): LearningCall {
  return { service: 'Orders', method: 'get', idempotent: false, idempotentKnown: false, deadline, startedAtMs, learnt: undefined };
}

describe('method facts', () => {
  it('a call by name learns idempotency from any source, and the timeout caps its deadline from its start', () => {
    const call = byNameCall(1_000 + 10_000, 1_000);
    learnFacts(call, new TableSource({ 'Orders.get': { idempotent: true, timeoutMs: 500 } }));
    expect(call).toMatchObject({ idempotent: true, idempotentKnown: true, deadline: 1_500, startedAtMs: undefined, learnt: { idempotent: true, timeoutMs: 500 } });
  });

  it('a source that does not know the method (a server that advertises nothing) leaves the call as it was', () => {
    const call = byNameCall(5_000, 1_000);
    learnFacts(call, new TableSource({}));
    expect(call).toMatchObject({ idempotent: false, idempotentKnown: false, deadline: 5_000, startedAtMs: 1_000, learnt: undefined });
  });

  it('idempotency the class or a policy declared is kept; a looser server timeout does not extend the deadline', () => {
    const call: LearningCall = { ...byNameCall(1_200, 1_000), idempotent: false, idempotentKnown: true };
    learnFacts(call, new TableSource({ 'Orders.get': { idempotent: true, timeoutMs: 5_000 } }));
    expect(call).toMatchObject({ idempotent: false, deadline: 1_200 });
  });

  it("the method's caller keeps what a call learnt, so later calls start with it", () => {
    const known = new KnownFacts(10_000, false, false, false);
    known.learn({ idempotent: true, timeoutMs: 300 });
    expect(known).toMatchObject({ timeoutMs: 300, idempotent: true, idempotentKnown: true, complete: true });
    const declared = new KnownFacts(200, false, true, false);
    declared.learn({ idempotent: true, timeoutMs: 300 });
    expect(declared).toMatchObject({ timeoutMs: 200, idempotent: false, complete: true });
  });
});
