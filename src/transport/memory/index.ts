// memory/: an in-process transport for tests. Connected pairs on a MemoryNetwork, with the same
// StreamConnection as TCP over an in-memory duplex, and fault hooks (pause, drop) per link.
export { MemoryTransport } from './memory-transport';
export { MemoryNetwork, MemoryLink } from './memory-network';
export type { MemoryDirection } from './memory-pipe';
