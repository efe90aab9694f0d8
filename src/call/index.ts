// call/: the shape of one call (CallContext), the stage contract (Invoker, Middleware, typed by
// the context a chain carries), deadlines (the math, the shared timers and the client's deadline
// stage), and the AsyncLocalStorage behind currentContext(). Layer 1: imports errors/ and util/.
export { type CallContext, type Peer, type PeerIdentity, createCallContext } from './call-context';
export { type Invoker, type Middleware, composeMiddleware, invokeNext } from './invoker';
export { currentContext, runWithContext } from './context-storage';
export { DEFAULT_DEADLINE_MS, tighterDeadline, remainingMs } from './deadline';
export { DeadlineTimers, type DeadlineList, type Timed } from './deadline-timers';
export { type DeadlineCall, deadlineStage, deadlineExceeded, withAttempts } from './deadline-stage';
