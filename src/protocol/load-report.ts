/*
 * The load report a v2 server puts in front of every RESPONSE and ERROR payload (flag LOAD_REPORT),
 * so a client's balancer sees a host filling up before it sheds:
 *
 *   0             2           4                    8
 *   | inFlight u16 | limit u16 | queueDelayUs u32 | codec-encoded value ... |
 *
 * `inFlight` counts calls admitted and not finished (running or queued), `limit` is the server's
 * concurrency limit for async handlers (0xffff for none or more), `queueDelayUs` its recent queue
 * wait in microseconds. Each saturates at its maximum.
 */

/** Bytes of a load report. */
export const LOAD_REPORT_BYTES = 8;

/** A server's load, as its last reply reported it. */
export interface LoadReport {
  /** Calls admitted and not finished: running plus queued. */
  inFlight: number;
  /** The concurrency limit of async handlers; 65535 when there is none. */
  limit: number;
  /** Recent wait in the admission queue, in ms. */
  queueDelayMs: number;
}

/** Writes a load report at `at` (the caller reserved LOAD_REPORT_BYTES there). */
export function writeLoadReport(frame: Buffer, at: number, inFlight: number, limit: number, queueDelayMs: number): void {
  const f = inFlight > 0xffff ? 0xffff : inFlight;
  const l = limit > 0xffff ? 0xffff : limit;
  let us = Math.round(queueDelayMs * 1000);
  if (us > 0xffff_ffff) us = 0xffff_ffff;
  frame[at] = f >>> 8;
  frame[at + 1] = f;
  frame[at + 2] = l >>> 8;
  frame[at + 3] = l;
  frame[at + 4] = us / 0x1000000;
  frame[at + 5] = us >>> 16;
  frame[at + 6] = us >>> 8;
  frame[at + 7] = us;
}

/**
 * Reads the load report at the start of `payload` (which holds at least LOAD_REPORT_BYTES) into
 * `into` when given (a reply's receiver keeps one report and overwrites it: no object per reply),
 * else into a new object.
 */
export function readLoadReport(payload: Buffer, into?: LoadReport): LoadReport {
  const r = into ?? { inFlight: 0, limit: 0, queueDelayMs: 0 };
  r.inFlight = (payload[0] << 8) | payload[1];
  r.limit = (payload[2] << 8) | payload[3];
  r.queueDelayMs = (payload[4] * 0x1000000 + ((payload[5] << 16) | (payload[6] << 8) | payload[7])) / 1000;
  return r;
}
