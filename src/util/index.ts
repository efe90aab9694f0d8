// util/: helpers with no Rivet concept in them (option checks, addresses, backoff, the id table).
// Layer 0: imports errors/ only.
export * from './options';
export * from './address';
export * from './backoff';
export * from './id-table';
export * from './turn-clock';
export * from './names';
