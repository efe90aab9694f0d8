// The shapes of the names a call carries. A name of another shape can never be served, so a call
// by name that carries one is refused before it is routed (INVALID_ARGUMENT), not sent to look
// for an instance or a method that cannot exist.

const SERVICE_NAME = /^[A-Za-z_][\w.-]*$/;
// Any property name @Method could mark, short of whitespace and control characters.
const METHOD_NAME = /^[^\s\p{Cc}]+$/u;

/** True for a name `@Service` accepts: a letter or `_`, then letters, digits, `_`, `.`, `-`. */
export function isServiceName(name: unknown): name is string {
  return typeof name === 'string' && SERVICE_NAME.test(name);
}

/** True for a method name a call by name may carry: non-empty, no whitespace or control characters. */
export function isMethodName(name: unknown): name is string {
  return typeof name === 'string' && METHOD_NAME.test(name);
}
