// discovery/: where instances of a service are. The Registry seam, the in-process and static
// registries, and the client's cache of resolved sets. Layer 1: imports errors/ and util/.
export { type Instance, instanceAddress } from './instance';
export { type Registry } from './registry';
export { MemoryRegistry } from './memory-registry';
export { StaticRegistry } from './static-registry';
export { InstanceCache } from './instance-cache';
export { EtcdRegistry, type EtcdRegistryOptions } from './etcd';
