import type { SendCredit } from './send-credit';
import type { TurnBudget } from './turn-budget';

/** What a pump sends through: one message at a time, and how the stream is doing. */
export interface PumpSink {
  /**
   * Encodes and sends one message; returns its payload size in bytes. Throws an RpcError when the
   * message cannot be sent (cannot be encoded, larger than the peer's frame limit).
   */
  send(value: unknown): number;
  /** The stream's terminal error once it closed from outside (cancel, deadline, connection loss), else undefined. */
  readonly closedWith: unknown;
}

/**
 * The pull-based sender: takes the next message from `source` only while the peer's credit
 * allows one more, so a producer is never more than the one message it is computing ahead of
 * the window. There is no hidden queue: a generator waits at its `yield` until credit returns.
 *
 * Resolves when `source` is done, rejects with what `source` throws, or with the stream's
 * terminal error when it closed from outside (the owner then calls `source.return()`).
 */
export async function pump(source: AsyncIterator<unknown>, credit: SendCredit, budget: TurnBudget, sink: PumpSink): Promise<void> {
  for (;;) {
    if (!credit.available) {
      await credit.wait();
      if (sink.closedWith !== undefined) throw sink.closedWith;
      continue;
    }
    if (budget.exhausted) {
      await budget.nextTurn();
      if (sink.closedWith !== undefined) throw sink.closedWith;
      continue;
    }
    const r = await source.next();
    if (sink.closedWith !== undefined) throw sink.closedWith;
    if (r.done === true) return;
    credit.take(sink.send(r.value));
    budget.spend();
  }
}
