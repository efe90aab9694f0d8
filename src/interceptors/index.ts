// interceptors/: the public Interceptor type and its adapter to the stage contract (Middleware).
// Layer 2: imports call/, errors/, util/.
export type { Interceptor, InterceptorFn, InterceptorClass, InterceptorLike, Next } from './interceptor';
export { toMiddleware, toAttemptMiddleware, checkInterceptor, isInterceptorClass } from './to-middleware';
