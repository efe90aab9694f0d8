/**
 * The stable codes of configuration errors. Each is listed with its fix in docs/errors.md;
 * a test keeps that page and this list in step.
 */
export const RivetErrorCode = {
  /** An option has the wrong type, range or unit. */
  RIVET_ERR_INVALID_OPTION: 'RIVET_ERR_INVALID_OPTION',
  /** An options object holds a key Rivet does not know (often a typo). */
  RIVET_ERR_UNKNOWN_OPTION: 'RIVET_ERR_UNKNOWN_OPTION',
  /** A decorator was used on the wrong kind of target, or with bad arguments. */
  RIVET_ERR_DECORATOR: 'RIVET_ERR_DECORATOR',
  /** Two services were registered under one name, or a class is not a `@Service`. */
  RIVET_ERR_SERVICE: 'RIVET_ERR_SERVICE',
  /** An interceptor is not an object with `intercept`, a function, or a class. */
  RIVET_ERR_INTERCEPTOR: 'RIVET_ERR_INTERCEPTOR',
  /** `scan` could not import a module. */
  RIVET_ERR_SCAN: 'RIVET_ERR_SCAN',
  /** An address is not `host:port`. */
  RIVET_ERR_ADDRESS: 'RIVET_ERR_ADDRESS',
  /** The app or client was used after close(), or listen() was called twice. */
  RIVET_ERR_STATE: 'RIVET_ERR_STATE',
} as const;

/** One of the codes in {@link RivetErrorCode}. */
export type RivetErrorCode = (typeof RivetErrorCode)[keyof typeof RivetErrorCode];

/**
 * Thrown at construction (createApp, createClient, proxy, decorators) when the configuration is
 * wrong; never on a call. The message names the option and what to do.
 */
export class RivetConfigError extends Error {
  readonly code: RivetErrorCode;

  constructor(code: RivetErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'RivetConfigError';
    this.code = code;
  }
}
