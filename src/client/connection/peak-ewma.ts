// How fast the latency average forgets: a sample this old weighs 1/e. Short enough that a
// recovered endpoint is trusted again within seconds.
const EWMA_DECAY_MS = 1_000;

/**
 * Peak EWMA of reply latency, as Finagle and linkerd keep it for their p2c balancer: a slower
 * sample is taken at once (so a slowing endpoint is shed quickly), a faster one is blended in
 * with a weight that grows with the time since the last sample.
 */
export class PeakEwma {
  private value = 0;
  private at = 0;

  /** The average in ms; 0 before the first sample. */
  get ms(): number {
    return this.value;
  }

  /** One reply: sent at `sentAt`, answered at `now` (ms, one clock). */
  record(sentAt: number, now: number): void {
    const ms = now - sentAt;
    if (this.value === 0 || ms > this.value) {
      this.value = ms;
    } else {
      const w = Math.exp(-(now - this.at) / EWMA_DECAY_MS);
      this.value = this.value * w + ms * (1 - w);
    }
    this.at = now;
  }
}
