import type { ShedReason } from '../admission';
import { ErrorReason, type RpcCode } from '../errors';

/** What a refused call is answered, before it becomes an ERROR frame or a rejected RpcError. */
export interface ShedAnswer {
  readonly code: RpcCode;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

const PAST_DEADLINE: ShedAnswer = Object.freeze({
  code: 'DEADLINE_EXCEEDED',
  message: 'deadline exceeded before the call started',
  details: Object.freeze({ reason: ErrorReason.DEADLINE }),
});

/**
 * The answer to a call admission refused, the same for a call from the wire and one from the HTTP
 * gateway: DEADLINE_EXCEEDED when its deadline could not be met, else RESOURCE_EXHAUSTED with
 * reason OVERLOADED and how long to stay away. Both are sent flagged not processed. A plain
 * object, not an RpcError: a server sheds thousands of calls a second under overload, and the wire
 * path would only unpack the error again (and pay for its stack trace).
 */
export function shedAnswer(reason: ShedReason, retryAfterMs: number): ShedAnswer {
  if (reason === 'DEADLINE') return PAST_DEADLINE;
  return { code: 'RESOURCE_EXHAUSTED', message: 'server overloaded; the call was not started, send it elsewhere', details: { reason: ErrorReason.OVERLOADED, retryAfterMs } };
}
