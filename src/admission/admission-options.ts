import { RivetConfigError, RivetErrorCode } from '../errors';
import { durationMs, optionsObject, positiveInt, rejectUnknownKeys } from '../util';

/**
 * `createApp({ admission })`: overload protection of the app's server (docs/overload.md). On by
 * default; `false` turns it off (every request runs as it arrives, as before Rivet 0.2).
 */
export interface AdmissionOptions {
  /**
   * How many async handler calls may run at once. Default `'adaptive'`: a Gradient2 controller
   * (gradient-limit.ts) that grows the limit while latency stays near its long-term level and
   * shrinks it when latency rises (or the event loop saturates), starting at 200, between a floor
   * of 10 and 5000. A number fixes it.
   */
  limit?: 'adaptive' | number;
  /**
   * The longest a call may wait in the admission queue before it starts, in ms. Default: derived
   * from the deadlines callers send (a quarter of the typical budget, between 10 ms and 10 s); when a
   * standing queue forms the bound tightens CoDel-style to half of that (docs/overload.md).
   */
  maxQueueMs?: number;
}

/**
 * @internal Which parts of admission run, for the ablation in docs/overload.md (the benchmark
 * switches them; users have no reason to). Every part is on by default.
 */
export interface AdmissionParts {
  /** Refuse calls whose deadline has passed or cannot be met (at arrival and again at start). */
  deadline: boolean;
  /** CoDel bound and adaptive LIFO once a standing queue forms, plus the maxQueueMs bound; off: plain FIFO bounded by deadlines only. */
  queueDiscipline: boolean;
  /** The adaptive (Gradient2) limit; off: no limit on async handlers (a fixed `limit` still applies). */
  adaptiveLimit: boolean;
  /** Event-loop utilization and delay as a backstop signal. */
  backstop: boolean;
  /** Piggyback load reports on replies (protocol v2). */
  loadReports: boolean;
}

/** Admission options, validated, with every part's switch. */
export interface ResolvedAdmission {
  /** A fixed limit, or undefined for the adaptive one. */
  fixedLimit: number | undefined;
  /** A fixed queue bound, or undefined to derive it from callers' budgets. */
  maxQueueMs: number | undefined;
  parts: AdmissionParts;
}

const ALL_PARTS: AdmissionParts = Object.freeze({ deadline: true, queueDiscipline: true, adaptiveLimit: true, backstop: true, loadReports: true });

/**
 * Validates `createApp({ admission })`: `undefined` (on, defaults), `false` (off) or an options
 * object. `parts` switches parts off for the ablation. Throws RivetConfigError naming the option.
 */
export function resolveAdmission(name: string, input: unknown, parts?: Partial<AdmissionParts>): ResolvedAdmission | false {
  if (input === false) return false;
  if (input === true) input = undefined;
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, ['limit', 'maxQueueMs']);
  let fixedLimit: number | undefined;
  if (o.limit !== undefined && o.limit !== 'adaptive') {
    if (typeof o.limit === 'string') {
      throw new RivetConfigError(RivetErrorCode.RIVET_ERR_INVALID_OPTION, `${name}.limit must be 'adaptive' or a positive integer, got ${JSON.stringify(o.limit)}. Leave it out for 'adaptive'.`);
    }
    fixedLimit = positiveInt(`${name}.limit`, o.limit, undefined);
  }
  const maxQueueMs = o.maxQueueMs === undefined ? undefined : durationMs(`${name}.maxQueueMs`, o.maxQueueMs);
  return Object.freeze({ fixedLimit, maxQueueMs, parts: Object.freeze({ ...ALL_PARTS, ...(parts ?? {}) }) });
}
