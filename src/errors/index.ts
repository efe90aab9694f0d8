// errors/: the status codes, the one RpcError, the reasons Rivet raises, and configuration errors.
// Layer 0: imports nothing from src/.
export { type RpcCode, RPC_CODES, isRpcCode, rpcCodeToNumber, rpcCodeFromNumber } from './rpc-code';
export { RpcError, isRpcError, reasonOf, toRpcError, type AttemptRecord, type StoppedBy } from './rpc-error';
export { ErrorReason } from './error-reason';
export { RivetConfigError, RivetErrorCode } from './config-error';
