/**
 * What admission knows about one method: its recent service time (start to finish), which decides
 * whether a call's remaining budget can still be met. One per method, made once when the server's
 * routing table is built, so a call reaches it with no lookup.
 */
export class MethodStats {
  /** EWMA of the method's service time in ms; 0 until the first call finishes. */
  serviceMs = 0;

  constructor(
    readonly service: string,
    readonly method: string,
  ) {}

  /** One finished call's service time. */
  addSample(ms: number): void {
    // The first sample is taken whole; after that each weighs 1/5, so a few slow calls (a GC pause)
    // move the estimate but do not swing it.
    this.serviceMs = this.serviceMs === 0 ? ms : this.serviceMs + (ms - this.serviceMs) * SERVICE_EWMA_WEIGHT;
  }
}

const SERVICE_EWMA_WEIGHT = 0.2;
