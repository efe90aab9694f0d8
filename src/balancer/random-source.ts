import { RivetConfigError, RivetErrorCode } from '../errors';

/**
 * A source of uniform numbers in [0, 1), like `Math.random` (the default everywhere). Pass a
 * seeded one to make a simulation or a test repeatable.
 */
export type RandomSource = () => number;

/** Returns `random` when it is a function; throws RivetConfigError (RIVET_ERR_INVALID_OPTION) otherwise. */
export function checkRandomSource(name: string, random: unknown): RandomSource {
  if (typeof random === 'function') return random as RandomSource;
  throw new RivetConfigError(
    RivetErrorCode.RIVET_ERR_INVALID_OPTION,
    `${name}: random must be a function returning a number in [0, 1), like Math.random. Leave it out to use Math.random.`,
  );
}

/** A uniform index in [0, n). Clamped, so a source that returns exactly 1 cannot step past the end. */
export function randomIndex(random: RandomSource, n: number): number {
  const i = Math.floor(random() * n);
  return i < n ? (i >= 0 ? i : 0) : n - 1;
}
