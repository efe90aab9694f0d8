import type { CallContext, Peer } from '../call';

/**
 * The server's CallContext. Its AbortController is made only when something reads `signal`:
 * most handlers never do, and making one per call was a large share of the server's cost. Abort
 * is recorded here and replayed into the controller if it is made later.
 */
export class ServerCall implements CallContext {
  readonly side = 'server' as const;
  principal: unknown = undefined;
  private controller: AbortController | null = null;
  private abortReason: unknown = undefined;

  constructor(
    readonly service: string,
    readonly method: string,
    public args: unknown[],
    public metadata: Record<string, string>,
    public deadline: number | undefined,
    public peer: Peer | undefined,
  ) {}

  /** Aborts when the deadline passes, the client cancels, or the connection closes. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the call once, with `reason`. */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
