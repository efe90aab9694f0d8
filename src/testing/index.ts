// testing/: helpers for testing services built on Rivet, published as 'rivet-rpc/testing' and kept
// out of the main entry point: fault injection, and test apps served over the in-memory
// transport. Layer 5, beside index.ts: imports app/ and the folders below it; nothing imports it.
export { faults, type FaultsOptions } from './faults';
export { createTestApp, TestApp, type TestAppOptions } from './create-test-app';
export { MemoryTransport, MemoryNetwork, MemoryLink, type MemoryDirection } from '../transport';
