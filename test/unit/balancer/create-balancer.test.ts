import {
  BALANCER_NAMES,
  type Balancer,
  ConsistentHashBalancer,
  createBalancer,
  DEFAULT_BALANCER,
  LeastActiveBalancer,
  P2cEwmaBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  validateBalancerSpec,
  WeightedRoundRobinBalancer,
} from '../../../src/balancer';
import { RivetConfigError } from '../../../src/errors';
import { configError } from '../../helpers/config-error';
import { callContext, fakeEndpoints } from './fakes';

describe('createBalancer', () => {
  it.each([
    ['p2c-ewma', P2cEwmaBalancer],
    ['round-robin', RoundRobinBalancer],
    ['random', RandomBalancer],
    ['weighted', WeightedRoundRobinBalancer],
    ['least-active', LeastActiveBalancer],
  ] as const)("builds a balancer for '%s'", (name, type) => {
    expect(createBalancer(name)).toBeInstanceOf(type);
  });

  it('lists every built-in name, the default first', () => {
    expect(BALANCER_NAMES).toEqual(['p2c-ewma', 'round-robin', 'random', 'weighted', 'least-active']);
    expect(DEFAULT_BALANCER).toBe('p2c-ewma');
  });

  it('builds the default p2c-ewma when no balancer is given', () => {
    expect(createBalancer(undefined)).toBeInstanceOf(P2cEwmaBalancer);
    expect(createBalancer()).toBeInstanceOf(P2cEwmaBalancer);
  });

  it('builds a new instance per call, so each target service keeps its own state', () => {
    expect(createBalancer('weighted')).not.toBe(createBalancer('weighted'));
  });

  it('builds a consistent-hash balancer that uses the key function', () => {
    const balancer = createBalancer({ consistentHash: (ctx) => ctx.metadata.tenant });
    expect(balancer).toBeInstanceOf(ConsistentHashBalancer);
    const endpoints = fakeEndpoints(4);
    const ctx = callContext({ tenant: 'acme' });
    const first = balancer.pick(endpoints, ctx);
    for (let i = 0; i < 20; i++) expect(balancer.pick(endpoints, ctx)).toBe(first);
  });

  it('returns your own Balancer as is', () => {
    const own: Balancer = { pick: (endpoints) => endpoints[0] };
    expect(createBalancer(own)).toBe(own);
    const instance = new LeastActiveBalancer();
    expect(createBalancer(instance)).toBe(instance);
  });

  it('rejects an unknown name with a message listing the valid ones', () => {
    const err = configError(() => createBalancer('fastest' as never));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toBe(
      "RIVET_ERR_INVALID_OPTION: ClientPolicy.balancer must be one of 'p2c-ewma', 'round-robin', 'random', " +
        "'weighted', 'least-active', { consistentHash: (ctx) => string }, or a Balancer (an object with " +
        'pick(endpoints, ctx)), got "fastest".',
    );
  });

  it.each([
    ['roundRobin', 'round-robin'],
    ['LEAST_ACTIVE', 'least-active'],
    ['p2c', 'p2c-ewma'],
    ['weighted-round-robin', 'weighted'],
  ])("suggests the built-in name for '%s'", (typo, name) => {
    expect(configError(() => createBalancer(typo as never)).message).toMatch(new RegExp(`got "${typo}"; did you mean '${name}'\\?$`));
  });

  it.each([
    ['an empty object', {}, /got an object with keys \[\]\.$/],
    ['a misspelt key', { consistentHsh: () => 'k' }, /got an object with keys \[consistentHsh\]\.$/],
    ['a number', 3, /got 3\.$/],
    ['null', null, /got null\.$/],
    ['a function', () => undefined, /got a function\.$/],
    ['an array', ['random'], /got an array\.$/],
  ])('rejects %s with RIVET_ERR_INVALID_OPTION and the valid forms', (_label, spec, ending) => {
    const err = configError(() => createBalancer(spec as never));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain("one of 'p2c-ewma', 'round-robin', 'random', 'weighted', 'least-active'");
    expect(err.message).toMatch(ending);
  });

  it('rejects a consistentHash that is not a function', () => {
    const err = configError(() => createBalancer({ consistentHash: 'tenant' } as never));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toBe(
      'RIVET_ERR_INVALID_OPTION: ClientPolicy.balancer.consistentHash must be a function (ctx) => string ' +
        'that returns the call\'s affinity key, e.g. (ctx) => ctx.metadata.userId; got "tenant".',
    );
  });

  it('rejects extra keys beside consistentHash and says how to tune the ring', () => {
    const err = configError(() => createBalancer({ consistentHash: () => 'k', loadFactor: 2 } as never));
    expect(err.code).toBe('RIVET_ERR_INVALID_OPTION');
    expect(err.message).toContain("takes only the key 'consistentHash', got also 'loadFactor'");
    expect(err.message).toContain('new ConsistentHashBalancer(keyOf, { loadFactor, virtualNodes })');
  });

  it('names the option it was given in its messages', () => {
    expect(configError(() => createBalancer('x' as never, "methods['add'].balancer")).message).toContain(
      "methods['add'].balancer must be one of",
    );
  });
});

describe('validateBalancerSpec', () => {
  it('returns a valid spec as given, and the default for undefined', () => {
    const hash = { consistentHash: () => 'k' };
    expect(validateBalancerSpec('random')).toBe('random');
    expect(validateBalancerSpec(hash)).toBe(hash);
    expect(validateBalancerSpec(undefined)).toBe('p2c-ewma');
  });

  it('throws what createBalancer throws, without building anything', () => {
    expect(() => validateBalancerSpec('fastest')).toThrow(RivetConfigError);
  });
});
