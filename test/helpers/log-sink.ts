import pino, { type Logger } from 'pino';

/** One parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger at `level` writing each line, parsed, into `lines` (synchronously), for asserting what was logged. */
export function logSink<L extends LogLine = LogLine>(level = 'info'): { logger: Logger; lines: L[] } {
  const lines: L[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as L) });
  return { logger, lines };
}
