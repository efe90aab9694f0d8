import { RivetConfigError, RivetErrorCode } from '../errors';
import { optionsObject, rejectUnknownKeys } from '../util';

/** `ClientPolicy.throttle`: client-side adaptive throttling (Google SRE, "Handling Overload"). */
export interface ThrottlePolicy {
  /**
   * K: how many requests per accepted one the client still sends before it starts rejecting
   * locally. Default 2 (the SRE book's; grpc-go's adaptive throttler uses 2 too). Lower rejects
   * sooner and wastes less of the server's time; higher lets more through for it to refuse.
   */
  ratio?: number;
}

/** A throttle policy, validated. */
export interface ResolvedThrottlePolicy {
  readonly ratio: number;
}

/** K unless the policy says otherwise. */
export const DEFAULT_THROTTLE_RATIO = 2;
/** The window requests and accepts are counted over: 30 s (grpc-go's; the SRE book says about 2 minutes). */
export const THROTTLE_WINDOW_MS = 30_000;
const BUCKETS = 30;

/**
 * Validates `ClientPolicy.throttle`: `false` (off), `undefined` or `true` (on, K = 2), or
 * `{ ratio }` with a ratio of at least 1. Throws RivetConfigError naming the option.
 */
export function resolveThrottlePolicy(input: unknown, name: string): ResolvedThrottlePolicy | false {
  if (input === false) return false;
  if (input === undefined || input === true) return DEFAULT_THROTTLE;
  const o = optionsObject(name, input);
  rejectUnknownKeys(name, o, ['ratio']);
  const ratio = o.ratio ?? DEFAULT_THROTTLE_RATIO;
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 1) {
    throw new RivetConfigError(
      RivetErrorCode.RIVET_ERR_INVALID_OPTION,
      `${name}.ratio must be a number >= 1 (requests sent per request the server accepts), got ${String(ratio)}. Leave it out for the default (${DEFAULT_THROTTLE_RATIO}).`,
    );
  }
  return Object.freeze({ ratio });
}

const DEFAULT_THROTTLE: ResolvedThrottlePolicy = Object.freeze({ ratio: DEFAULT_THROTTLE_RATIO });

/**
 * Client-side adaptive throttling for one endpoint (SRE, "Handling Overload"): over the last
 * 30 s it counts `requests` (attempts the application made, rejected locally or not) and
 * `accepts` (attempts the server answered without shedding), and rejects a new attempt locally
 * with probability `max(0, (requests - K * accepts) / (requests + 1))`. While the server accepts
 * everything nothing is rejected; when it sheds most calls, the client stops sending most of them,
 * so a shedding server spends its CPU on work rather than on refusals.
 *
 * Only attempts the server answered count (a refused connect says nothing about load), which is
 * why `record` takes the outcome. Counts live in 30 one-second buckets: O(1), no allocation.
 */
export class AdaptiveThrottle {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly accepts = new Float64Array(BUCKETS);
  private requestSum = 0;
  private acceptSum = 0;
  private bucket = 0;
  private bucketStartMs = 0;

  constructor(readonly ratio: number) {}

  /**
   * Decides for one attempt: true means reject it locally (it is counted as a request that was
   * not accepted). `random` gives uniform numbers in [0, 1); it is called only when the
   * probability is above 0, so a healthy endpoint costs no random draw.
   */
  shouldReject(nowMs: number, random: () => number = Math.random): boolean {
    this.advance(nowMs);
    const p = (this.requestSum - this.ratio * this.acceptSum) / (this.requestSum + 1);
    if (p > 0 && random() < p) {
      this.requests[this.bucket]++;
      this.requestSum++;
      return true;
    }
    return false;
  }

  /** An attempt the server answered: `accepted` unless it shed the call as overloaded. */
  record(nowMs: number, accepted: boolean): void {
    this.advance(nowMs);
    this.requests[this.bucket]++;
    this.requestSum++;
    if (accepted) {
      this.accepts[this.bucket]++;
      this.acceptSum++;
    }
  }

  /** The local rejection probability now (for tests and stats). */
  rejectProbability(nowMs: number): number {
    this.advance(nowMs);
    return Math.max(0, (this.requestSum - this.ratio * this.acceptSum) / (this.requestSum + 1));
  }

  private advance(nowMs: number): void {
    const bucketMs = THROTTLE_WINDOW_MS / BUCKETS;
    if (nowMs - this.bucketStartMs < bucketMs) return;
    const steps = Math.min(BUCKETS, Math.floor((nowMs - this.bucketStartMs) / bucketMs));
    for (let i = 0; i < steps; i++) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.requestSum -= this.requests[this.bucket];
      this.acceptSum -= this.accepts[this.bucket];
      this.requests[this.bucket] = 0;
      this.accepts[this.bucket] = 0;
    }
    this.bucketStartMs = steps === BUCKETS ? nowMs : this.bucketStartMs + steps * bucketMs;
  }
}
