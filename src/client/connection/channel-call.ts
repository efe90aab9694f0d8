import type { RpcError } from '../../errors';

/** Told when a call is aborted; the channel's pending entry of the attempt in flight. */
export interface AbortWatcher {
  onCallAborted(): void;
}

/**
 * What a channel reads and writes of one attempt: what to send, its deadline, why it was aborted,
 * and the watcher slot where the channel leaves the pending entry to tell when the call aborts.
 * The client's call implements it; the channel knows nothing else of the client.
 */
export interface ChannelCall {
  readonly service: string;
  readonly method: string;
  readonly args: unknown[];
  readonly metadata: Record<string, string>;
  readonly deadline: number | undefined;
  readonly abortReason: RpcError | undefined;
  /** Made on first read; only the rare wait for a connection reads it. */
  readonly signal: AbortSignal;
  watcher: AbortWatcher | null;
}
