// call/: the shape of one call (CallContext), the stage contract (Invoker, Middleware), deadlines,
// and the AsyncLocalStorage behind currentContext(). Layer 1: imports errors/ and util/.
//
// Star re-exports, not named lists: each file here exports only what the layer offers. TypeScript
// compiles a named re-export to a property it sets and then redefines as a getter, and that puts
// the exports object in V8's dictionary mode, so every use from another layer (on every call)
// paid a lookup. A star re-export leaves it fast, and V8 inlines its getters.
export * from './call-context';
export * from './invoker';
export * from './context-storage';
export * from './deadline';
export * from './deadline-timers';
