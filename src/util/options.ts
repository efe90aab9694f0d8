import { RivetConfigError, RivetErrorCode } from '../errors';

/**
 * Option checks shared by every constructor that takes options. Each throws a RivetConfigError
 * whose message names the option, what it got, and what to do.
 */

/** How a bad value reads in a message: strings quoted, objects and functions named by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Throws when `input` is not a plain object. `undefined` is accepted (and means "defaults"). */
export function optionsObject(name: string, input: unknown): Record<string, unknown> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be an object, got ${describeValue(input)}.`);
  }
  return input as Record<string, unknown>;
}

/** Throws on the first key of `input` that is not in `known`, suggesting the nearest known key. */
export function rejectUnknownKeys(name: string, input: object, known: readonly string[]): void {
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    const hint = near !== undefined ? `; did you mean '${near}'?` : `. Known keys: ${known.join(', ')}.`;
    throw new RivetConfigError(RivetErrorCode.RIVET_ERR_UNKNOWN_OPTION, `${name}: unknown key '${key}'${hint}`);
  }
}

/** The known key that `key` is likeliest a typo of, or undefined when none is close. */
function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  // A key that starts a known key ('inter' for 'interceptors') is the likeliest typo of all.
  if (key.length >= 3) {
    const started = known.find((k) => k.toLowerCase().startsWith(lower));
    if (started !== undefined) return started;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(lower, k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best !== undefined && (bestDistance <= 3 || best.toLowerCase().startsWith(lower)) ? best : undefined;
}

/** A positive integer (> 0). */
export function positiveInt(name: string, value: unknown, defaultValue?: number): number {
  if (Number.isSafeInteger(value) && (value as number) > 0) return value as number;
  const fallback = defaultValue === undefined ? '' : ` Leave it out to use the default (${defaultValue}).`;
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be a positive integer, got ${describeValue(value)}.${fallback}`);
}

/** A non-negative integer (>= 0). */
export function nonNegativeInt(name: string, value: unknown, defaultValue?: number): number {
  if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
  const fallback = defaultValue === undefined ? '' : ` Leave it out to use the default (${defaultValue}).`;
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be an integer >= 0, got ${describeValue(value)}.${fallback}`);
}

/** A positive finite number of milliseconds, with an upper bound (setTimeout's limit by default). */
export function durationMs(name: string, value: unknown, defaultValue?: number, maxMs = 2_147_483_647): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= maxMs) return value;
  const fallback = defaultValue === undefined ? '' : ` Leave it out to use the default (${defaultValue}).`;
  throw new RivetConfigError(
    RivetErrorCode.RIVET_ERR_INVALID_OPTION,
    `${name} must be a number of milliseconds > 0 and <= ${maxMs}, got ${describeValue(value)}.${fallback}`,
  );
}

/** A boolean. */
export function bool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be true or false, got ${describeValue(value)}.`);
}

/** A non-empty string. */
export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name} must be a non-empty string, got ${describeValue(value)}.`);
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new RivetConfigError(
    RivetErrorCode.RIVET_ERR_INVALID_OPTION,
    `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}.`,
  );
}

/** A string-to-string record (call metadata). */
export function stringRecord(name: string, value: unknown): Record<string, string> {
  const obj = optionsObject(name, value);
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.${k} must be a string, got ${describeValue(v)}.`);
    }
  }
  return obj as Record<string, string>;
}
