// testing/: helpers for testing services built on Rivet, published as 'rivet-rpc/testing' and kept
// out of the main entry point. Imports errors/, util/, call/, interceptors/ and resilience/.
export { faults, type FaultsOptions } from './faults';
