import { ErrorReason, type RpcError } from '../../errors';
import type { AbortWatcher, ChannelCall } from './channel-call';

/** The channel a pending call belongs to, as the call sees it: told when the call aborts. */
export interface PendingOwner {
  cancel(p: Pending): void;
}

/**
 * Whether the server must be told (a CANCEL frame) that a call it holds was aborted with `reason`
 * (`stream` when the call was a stream). A call out of time needs no cancel frame: the server
 * holds the same deadline and aborts the handler itself with DEADLINE_EXCEEDED, where a cancel
 * frame racing it would say CANCELLED. A stream that went idle is another matter: the server
 * knows of no such deadline.
 */
export function owesCancelFrame(reason: RpcError, stream: boolean): boolean {
  return reason.code !== 'DEADLINE_EXCEEDED' || (stream && (reason.details as { reason?: unknown } | undefined)?.reason === ErrorReason.STREAM_IDLE);
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
