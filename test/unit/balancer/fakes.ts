import type { BreakerState, EndpointState, EndpointView } from '../../../src/balancer';
import { type CallContext, createCallContext } from '../../../src/call';
import type { Instance } from '../../../src/discovery';
export { seededRandom } from '../../helpers/seeded-random';

/** An EndpointView whose statistics a test sets directly. */
export interface FakeEndpoint extends EndpointView {
  state: EndpointState;
  inFlight: number;
  ewmaMs: number;
  breaker: BreakerState;
  ejected: boolean;
  loadFactor?: number;
}

/** A ready, idle, healthy endpoint at `address` (`'host:port'`, or a bare name with port 4000). */
export function fakeEndpoint(address: string, overrides: Partial<FakeEndpoint> & { weight?: number } = {}): FakeEndpoint {
  const [host, port = '4000'] = address.split(':');
  const instance: Instance = {
    id: `id-${address}`,
    service: 'Arith',
    host,
    port: Number(port),
    weight: overrides.weight ?? 1,
    metadata: {},
  };
  return {
    instance,
    address,
    state: overrides.state ?? 'ready',
    inFlight: overrides.inFlight ?? 0,
    ewmaMs: overrides.ewmaMs ?? 0,
    breaker: overrides.breaker ?? 'closed',
    ejected: overrides.ejected ?? false,
    ...(overrides.loadFactor === undefined ? {} : { loadFactor: overrides.loadFactor }),
  };
}

/** `count` endpoints 10.0.0.1:4000 … 10.0.0.<count>:4000. */
export function fakeEndpoints(count: number, overrides: Partial<FakeEndpoint> & { weight?: number } = {}): FakeEndpoint[] {
  return Array.from({ length: count }, (_, i) => fakeEndpoint(`10.0.0.${i + 1}:4000`, overrides));
}

/** A client CallContext for `Arith.add` carrying `metadata`. */
export function callContext(metadata: Record<string, string> = {}): CallContext {
  return createCallContext('client', 'Arith', 'add', [], metadata, undefined, new AbortController().signal, undefined);
}

/** How many of `picks` went to each address. */
export function tally(picks: ReadonlyArray<EndpointView | undefined>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of picks) {
    const key = p?.address ?? 'undefined';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
