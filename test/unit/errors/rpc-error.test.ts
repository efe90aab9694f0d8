import {
  ErrorReason,
  isRpcCode,
  isRpcError,
  reasonOf,
  RPC_CODES,
  type RpcCode,
  rpcCodeFromNumber,
  rpcCodeToNumber,
  RpcError,
  toRpcError,
} from '../../../src/errors';

// gRPC's canonical numbering (grpc/status.h). OK (0) never travels as an error.
const GRPC_NUMBERS: Array<[RpcCode, number]> = [
  ['CANCELLED', 1],
  ['UNKNOWN', 2],
  ['INVALID_ARGUMENT', 3],
  ['DEADLINE_EXCEEDED', 4],
  ['NOT_FOUND', 5],
  ['ALREADY_EXISTS', 6],
  ['PERMISSION_DENIED', 7],
  ['RESOURCE_EXHAUSTED', 8],
  ['FAILED_PRECONDITION', 9],
  ['ABORTED', 10],
  ['OUT_OF_RANGE', 11],
  ['UNIMPLEMENTED', 12],
  ['INTERNAL', 13],
  ['UNAVAILABLE', 14],
  ['DATA_LOSS', 15],
  ['UNAUTHENTICATED', 16],
];

describe('RpcError', () => {
  it('keeps code, message and details', () => {
    const err = new RpcError('NOT_FOUND', 'no user 7', { reason: 'MISSING', id: 7 });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('RpcError');
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('no user 7');
    expect(err.details).toEqual({ reason: 'MISSING', id: 7 });
    expect(err.notProcessed).toBe(false);
  });

  it('has undefined details when none are given', () => {
    const err = new RpcError('INTERNAL', 'x');
    expect(err.details).toBeUndefined();
    expect(err.notProcessed).toBe(false);
  });

  it('keeps the cause and the notProcessed flag it is given', () => {
    const cause = new Error('socket hang up');
    const err = new RpcError('UNAVAILABLE', 'lost', undefined, { cause, notProcessed: true });
    expect(err.cause).toBe(cause);
    expect(err.notProcessed).toBe(true);
  });

  it('throws TypeError for an unknown code', () => {
    expect(() => new RpcError('NOPE' as RpcCode, 'x')).toThrow(new TypeError('RpcError: unknown code NOPE'));
    expect(() => new RpcError('OK' as RpcCode, 'x')).toThrow(TypeError);
  });
});

describe('isRpcError', () => {
  it('is true for an RpcError', () => {
    expect(isRpcError(new RpcError('ABORTED', 'x'))).toBe(true);
  });

  it('is true for an RpcError from another installed copy of rivet-rpc', () => {
    // Another copy has its own class, but brands it with the same Symbol.for key.
    const brand = Symbol.for('rivet-rpc.RpcError');
    class OtherCopyRpcError extends Error {
      readonly code = 'NOT_FOUND';
    }
    Object.defineProperty(OtherCopyRpcError.prototype, brand, { get: () => true });
    const foreign = new OtherCopyRpcError('from elsewhere');
    expect(foreign instanceof RpcError).toBe(false);
    expect(isRpcError(foreign)).toBe(true);
  });

  it('is false for plain errors and other values', () => {
    expect(isRpcError(new Error('x'))).toBe(false);
    expect(isRpcError(Object.assign(new Error('x'), { code: 'NOT_FOUND' }))).toBe(false);
    expect(isRpcError({ [Symbol.for('rivet-rpc.RpcError')]: 'yes' })).toBe(false);
    expect(isRpcError(null)).toBe(false);
    expect(isRpcError(undefined)).toBe(false);
    expect(isRpcError('RpcError')).toBe(false);
  });
});

describe('reasonOf', () => {
  it('reads details.reason of an RpcError, and nothing else', () => {
    expect(reasonOf(new RpcError('UNAVAILABLE', 'x', { reason: ErrorReason.CONNECTION_LOST }))).toBe('CONNECTION_LOST');
    expect(reasonOf(new RpcError('UNAVAILABLE', 'x', { reason: 5 }))).toBeUndefined();
    expect(reasonOf(new RpcError('UNAVAILABLE', 'x'))).toBeUndefined();
    expect(reasonOf(Object.assign(new Error('x'), { details: { reason: 'CONNECTION_LOST' } }))).toBeUndefined();
  });
});

describe('toRpcError', () => {
  it('passes an RpcError through unchanged', () => {
    const err = new RpcError('PERMISSION_DENIED', 'no');
    expect(toRpcError(err)).toBe(err);
  });

  it('maps a plain Error to UNKNOWN with its message and the original as cause', () => {
    const original = new TypeError('cannot read x of undefined');
    const err = toRpcError(original);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe('UNKNOWN');
    expect(err.message).toBe('cannot read x of undefined');
    expect(err.cause).toBe(original);
  });

  it('maps a thrown non-Error to UNKNOWN with its string form', () => {
    const err = toRpcError('just a string');
    expect(err.code).toBe('UNKNOWN');
    expect(err.message).toBe('just a string');
    expect(err.cause).toBe('just a string');
  });
});

describe('code numbers', () => {
  it('match gRPC numbering, CANCELLED = 1 to UNAUTHENTICATED = 16', () => {
    expect(GRPC_NUMBERS.map(([code]) => [code, rpcCodeToNumber(code)])).toEqual(GRPC_NUMBERS);
    expect(GRPC_NUMBERS.map(([, n]) => [rpcCodeFromNumber(n), n])).toEqual(GRPC_NUMBERS);
  });

  it('lists every code in wire-number order, without OK', () => {
    expect(RPC_CODES).toEqual(GRPC_NUMBERS.map(([code]) => code));
    expect(isRpcCode('OK')).toBe(false);
  });

  it('reads 0 (OK) and numbers it does not know as UNKNOWN', () => {
    expect(rpcCodeFromNumber(0)).toBe('UNKNOWN');
    expect(rpcCodeFromNumber(17)).toBe('UNKNOWN');
    expect(rpcCodeFromNumber(-1)).toBe('UNKNOWN');
    expect(rpcCodeFromNumber(2.5)).toBe('UNKNOWN');
  });
});
