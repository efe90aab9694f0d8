/**
 * The status codes of a Rivet call. They mirror gRPC's canonical codes so that users,
 * dashboards and gateways read them the same way.
 */
export type RpcCode =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

// Index = wire number, the same numbering as gRPC (0 is OK and never travels as an error).
const CODES_BY_NUMBER: readonly (RpcCode | undefined)[] = [
  undefined,
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const NUMBERS_BY_CODE: ReadonlyMap<RpcCode, number> = new Map(
  CODES_BY_NUMBER.flatMap((code, n) => (code === undefined ? [] : [[code, n] as [RpcCode, number]])),
);

/** Every RpcCode, in wire-number order. */
export const RPC_CODES: readonly RpcCode[] = CODES_BY_NUMBER.filter((c): c is RpcCode => c !== undefined);

/** True when `value` is one of the RpcCode strings. */
export function isRpcCode(value: unknown): value is RpcCode {
  return typeof value === 'string' && NUMBERS_BY_CODE.has(value as RpcCode);
}

/** The wire number of a code (gRPC numbering). */
export function rpcCodeToNumber(code: RpcCode): number {
  return NUMBERS_BY_CODE.get(code) ?? 2;
}

/** The code for a wire number; an unknown number reads as `UNKNOWN` so a newer peer never breaks an older one. */
export function rpcCodeFromNumber(n: number): RpcCode {
  return CODES_BY_NUMBER[n] ?? 'UNKNOWN';
}
