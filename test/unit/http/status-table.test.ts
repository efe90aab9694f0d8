import { RPC_CODES } from '../../../src';
import { HTTP_STATUS_BY_CODE, httpStatusOf } from '../../../src/http';

describe('HTTP status table', () => {
  it('has a status for every RpcCode, as the Connect protocol maps them', () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual([...RPC_CODES].sort());
    expect(HTTP_STATUS_BY_CODE).toEqual({
      CANCELLED: 499,
      UNKNOWN: 500,
      INVALID_ARGUMENT: 400,
      DEADLINE_EXCEEDED: 504,
      NOT_FOUND: 404,
      ALREADY_EXISTS: 409,
      PERMISSION_DENIED: 403,
      RESOURCE_EXHAUSTED: 429,
      FAILED_PRECONDITION: 400,
      ABORTED: 409,
      OUT_OF_RANGE: 400,
      UNIMPLEMENTED: 501,
      INTERNAL: 500,
      UNAVAILABLE: 503,
      DATA_LOSS: 500,
      UNAUTHENTICATED: 401,
    });
  });

  it('answers 500 for a code it does not know', () => {
    expect(httpStatusOf('NOPE')).toBe(500);
  });
});
