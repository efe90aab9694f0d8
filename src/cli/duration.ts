import { UsageError } from './exit-codes';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration flag: `500ms`, `1.5s`, `2m`, `1h`, or a bare number of milliseconds.
 * Throws UsageError naming the flag otherwise.
 */
export function parseDurationMs(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS_MS[m[2] ?? 'ms'] : NaN;
  if (!(ms > 0) || !Number.isFinite(ms) || ms > 2_147_483_647) {
    throw new UsageError(`${flag} must be a duration like 500ms, 2s or 1m, got ${JSON.stringify(value)}`);
  }
  return Math.round(ms);
}

/** Parses a positive integer flag (`-n 1000`). Throws UsageError otherwise. */
export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses a positive number flag (`--rate 250.5`). Throws UsageError otherwise. */
export function parsePositiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}
