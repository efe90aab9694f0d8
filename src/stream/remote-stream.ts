import { ReceiveWindow } from './receive-window';
import { StreamReceiver } from './stream-receiver';

/**
 * What a streaming call returns to its caller, at once: an AsyncIterable of the server's
 * messages. `break`, `return()` or `cancel()` end the call quietly (the server's signal aborts and
 * its generator's `finally` blocks run); an error of the call is thrown by the iteration, after
 * every message that arrived before it.
 */
export interface RemoteStream<T> extends AsyncIterable<T> {
  /** Ends the call: a cancel goes to the server, and the iteration ends without an error. */
  cancel(reason?: string): void;
}

/** @internal The RemoteStream of one call, over its receiver. */
export class RemoteStreamHandle<T> implements RemoteStream<T> {
  constructor(
    private readonly receiver: StreamReceiver,
    private readonly onCancel: (reason: string | undefined) => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.receiver as StreamReceiver<T>;
  }

  /** A stream that failed before it started: its iteration throws `err`. */
  static failed<T>(err: unknown): RemoteStreamHandle<T> {
    const receiver = new StreamReceiver(new ReceiveWindow({ messages: 1, bytes: 1 }), { grant: () => undefined, cancel: () => undefined });
    receiver.fail(err);
    return new RemoteStreamHandle<T>(receiver, () => undefined);
  }

  cancel(reason?: string): void {
    if (this.receiver.finished) return;
    this.receiver.discard();
    this.onCancel(reason);
  }
}
