import { RivetConfigError } from '../../src/errors';

/** The RivetConfigError `fn` throws; fails the test when it throws nothing or something else (rethrown as is). */
export function configError(fn: () => unknown): RivetConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RivetConfigError) return err;
    throw err;
  }
  throw new Error('expected a RivetConfigError, but nothing was thrown');
}
