import pino, { type Logger, type LoggerOptions } from 'pino';

/** What `logger` accepts: a pino logger, pino options, or `false` for silence. */
export type LoggerInput = Logger | LoggerOptions | false | undefined;

function isLogger(x: unknown): x is Logger {
  return typeof x === 'object' && x !== null && typeof (x as Logger).child === 'function' && typeof (x as Logger).info === 'function';
}

/**
 * The one place Rivet calls `pino()`. A logger passed in is used as is (its level decides);
 * options make a new one; `false` makes a silent one; nothing makes one at `info`, or at
 * `RIVET_LOG_LEVEL` when that is set.
 */
export function createLogger(input: LoggerInput, name: string): Logger {
  if (isLogger(input)) return input;
  if (input === false) return pino({ level: 'silent' });
  if (input === undefined) return pino({ name, level: process.env.RIVET_LOG_LEVEL ?? 'info' });
  return pino({ name, ...input });
}
