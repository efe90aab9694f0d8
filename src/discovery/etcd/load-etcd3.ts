import type * as Etcd3Module from 'etcd3';

let loaded: typeof Etcd3Module | undefined;

/**
 * The etcd3 module, loaded on first use: it brings gRPC with it (about 130 ms of startup), and
 * apps that never use etcd should not pay for it just by importing rivet-rpc.
 */
export function loadEtcd3(): typeof Etcd3Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load
  loaded ??= require('etcd3') as typeof Etcd3Module;
  return loaded;
}
