import { RivetConfigError, RivetErrorCode } from '../errors';
import { describeValue } from '../util';

// Range checks that util/options.ts does not have (fractions, open lower bounds). They follow
// its message shape: the option, what it got, what to do.

/** Throws RIVET_ERR_INVALID_OPTION with `message` (which names the option and the fix). */
export function invalidOption(message: string): never {
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, message);
}

/** The bounds of {@link finiteInRange}; `minExclusive` and `maxExclusive` make a bound open. */
export interface NumberRange {
  min: number;
  max: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Shown after the range, e.g. 'a fraction of the call rate'. */
  meaning: string;
}

/**
 * A finite number within `range`. Throws RIVET_ERR_INVALID_OPTION naming `name`, the range, what
 * it got and the default to fall back on.
 */
export function finiteInRange(name: string, value: unknown, range: NumberRange, defaultValue?: number): number {
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.minExclusive ? value > range.min : value >= range.min) &&
    (range.maxExclusive ? value < range.max : value <= range.max)
  ) {
    return value;
  }
  const lower = range.minExclusive ? `> ${range.min}` : `>= ${range.min}`;
  const upper = range.maxExclusive ? `< ${range.max}` : `<= ${range.max}`;
  const fallback = defaultValue === undefined ? '' : ` Leave it out to use the default (${defaultValue}).`;
  return invalidOption(`${name} must be a number ${lower} and ${upper} (${range.meaning}), got ${describeValue(value)}.${fallback}`);
}
