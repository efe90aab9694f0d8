import { RivetConfigError, RivetErrorCode } from '../errors';
import { describeValue } from '../util';
import type { Balancer } from './balancer';
import { ConsistentHashBalancer, type HashKeyFn } from './consistent-hash';
import { LeastActiveBalancer } from './least-active';
import { P2cEwmaBalancer } from './p2c-ewma';
import { RandomBalancer } from './random';
import { RoundRobinBalancer } from './round-robin';
import { WeightedRoundRobinBalancer } from './weighted-round-robin';

/** The names of the built-in balancers, the default first. */
export const BALANCER_NAMES = ['p2c-ewma', 'round-robin', 'random', 'weighted', 'least-active'] as const;

/** One of {@link BALANCER_NAMES}. */
export type BalancerName = (typeof BALANCER_NAMES)[number];

/** The balancer used when a policy names none: power of two choices on peak-EWMA × in flight. */
export const DEFAULT_BALANCER: BalancerName = 'p2c-ewma';

/**
 * What `ClientPolicy.balancer` accepts: a built-in name, consistent hashing on a key of the
 * call, or your own Balancer (used as is).
 */
export type BalancerSpec = BalancerName | { consistentHash: HashKeyFn } | Balancer;

const VALID_FORMS =
  `one of ${BALANCER_NAMES.map((n) => `'${n}'`).join(', ')}, ` +
  `{ consistentHash: (ctx) => string }, or a Balancer (an object with pick(endpoints, ctx))`;

// describeValue, but an object shows its keys: a misspelt `consistentHash` is seen at once.
function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return `an object with keys [${Object.keys(value).join(', ')}]`;
  return describeValue(value);
}

/** The built-in name `s` was probably meant as ('roundRobin', 'P2C', 'least_active'), if any. */
function nearestName(s: string): BalancerName | undefined {
  const bare = s.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (bare.length === 0) return undefined;
  for (const name of BALANCER_NAMES) {
    const nameBare = name.replace(/-/g, '');
    if (nameBare === bare || nameBare.startsWith(bare) || bare.startsWith(nameBare)) return name;
  }
  return undefined;
}

function invalid(message: string): RivetConfigError {
  return new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, message);
}

/**
 * Checks a `ClientPolicy.balancer` value without building anything, so a bad policy fails when
 * the client or proxy is created. `undefined` means the default ({@link DEFAULT_BALANCER}).
 * Returns the spec, the default filled in. Throws RivetConfigError (RIVET_ERR_INVALID_OPTION)
 * naming the valid forms.
 */
export function validateBalancerSpec(spec: unknown, name = 'ClientPolicy.balancer'): BalancerSpec {
  if (spec === undefined) return DEFAULT_BALANCER;
  if (typeof spec === 'string') {
    if ((BALANCER_NAMES as readonly string[]).includes(spec)) return spec as BalancerName;
    const near = nearestName(spec);
    const hint = near === undefined ? '.' : `; did you mean '${near}'?`;
    throw invalid(`${name} must be ${VALID_FORMS}, got ${describe(spec)}${hint}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw invalid(`${name} must be ${VALID_FORMS}, got ${describe(spec)}.`);
  }
  const obj = spec as Record<string, unknown>;
  if (typeof obj.pick === 'function') return spec as Balancer;
  if (!('consistentHash' in obj)) {
    throw invalid(`${name} must be ${VALID_FORMS}, got ${describe(spec)}.`);
  }
  if (typeof obj.consistentHash !== 'function') {
    throw invalid(
      `${name}.consistentHash must be a function (ctx) => string that returns the call's affinity key, ` +
        `e.g. (ctx) => ctx.metadata.userId; got ${describe(obj.consistentHash)}.`,
    );
  }
  const extra = Object.keys(obj).filter((k) => k !== 'consistentHash');
  if (extra.length > 0) {
    throw invalid(
      `${name} takes only the key 'consistentHash', got also ${extra.map((k) => `'${k}'`).join(', ')}. ` +
        `To tune the ring, pass new ConsistentHashBalancer(keyOf, { loadFactor, virtualNodes }) as the balancer.`,
    );
  }
  return spec as { consistentHash: HashKeyFn };
}

/**
 * Turns a `ClientPolicy.balancer` value into a Balancer. Call it once per target service and
 * proxy: the built-ins keep per-service state (counters, scores, the hash ring). A Balancer you
 * pass is returned as is, so it is shared by everything that uses that policy. `undefined`
 * gives the default, a {@link P2cEwmaBalancer}. Throws RivetConfigError
 * (RIVET_ERR_INVALID_OPTION), as {@link validateBalancerSpec} does.
 */
export function createBalancer(spec?: BalancerSpec, name = 'ClientPolicy.balancer'): Balancer {
  const valid = validateBalancerSpec(spec, name);
  switch (valid) {
    case 'p2c-ewma':
      return new P2cEwmaBalancer();
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'random':
      return new RandomBalancer();
    case 'weighted':
      return new WeightedRoundRobinBalancer();
    case 'least-active':
      return new LeastActiveBalancer();
  }
  if ('consistentHash' in valid && typeof (valid as Partial<Balancer>).pick !== 'function') {
    return new ConsistentHashBalancer(valid.consistentHash);
  }
  return valid as Balancer;
}
