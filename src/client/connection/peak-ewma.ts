// How fast the latency average forgets: a sample this old weighs 1/e. Short enough that a
// recovered endpoint is trusted again within seconds.
const EWMA_DECAY_MS = 1_000;

// Below this much silence the decay is under 0.1% and is not worth a Math.exp: at any real call
// rate every read falls here, so the balancer's two reads per pick stay a subtraction and a compare.
const DECAY_FROM_MS = 1;

/**
 * Peak EWMA of reply latency, as Finagle and linkerd keep it for their p2c balancer: a slower
 * sample is taken at once (so a slowing endpoint is shed quickly), a faster one is blended in
 * with a weight that grows with the time since the last sample.
 *
 * Read, the average also decays toward zero with the time since the last sample, as Finagle's
 * does (a read is a sample of 0). Without that, an endpoint that once answered slowly (a GC pause,
 * a stalled machine) and then lost every p2c draw to a peer would never be sampled again and
 * would stay shunned for good; with it, an unused endpoint soon looks cheap, wins a draw, and its
 * next reply sets its true cost.
 */
export class PeakEwma {
  private value = 0;
  private at = 0;

  /** The average in ms as of `now` (same clock as `record`); 0 before the first sample. */
  msAt(now: number): number {
    const idle = now - this.at;
    if (idle < DECAY_FROM_MS) return this.value;
    return this.value * Math.exp(-idle / EWMA_DECAY_MS);
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
