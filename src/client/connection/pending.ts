import type { RpcError } from '../../errors';
import type { AbortWatcher, ChannelCall } from './channel-call';

/** The channel a pending call belongs to, as the call sees it: told when the call aborts. */
export interface PendingOwner {
  cancel(p: Pending): void;
}

/**
 * One call sent and waiting for its reply, in its channel's pending table. It is the call's
 * abort watcher, so an aborted call reaches its channel (which sends a cancel frame) with no
 * closure made per call.
 */
export class Pending implements AbortWatcher {
  constructor(
    readonly owner: PendingOwner,
    readonly id: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: RpcError) => void,
    readonly call: ChannelCall,
    /** When it was sent (turnNowMs), for the latency average. */
    readonly sentAt: number,
  ) {}

  onCallAborted(): void {
    this.owner.cancel(this);
  }
}
