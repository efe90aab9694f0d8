// discovery/etcd/: the Registry on etcd v3, and the only folder that imports the etcd3 client.
// Imports errors/ and util/, and the Instance and Registry types of discovery/.
export { EtcdRegistry } from './etcd-registry';
export type { EtcdRegistryOptions } from './etcd-options';
