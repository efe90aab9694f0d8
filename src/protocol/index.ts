// protocol/: the bytes on the wire. Frame layout, decoder and encoder, handshake, message shapes,
// and the Codec seam with its two codecs. Layer 1: imports errors/ and util/.
//
// Star re-exports, not named lists, as in call/ (see its index): frames are encoded and decoded
// on every call, and a named list would put this exports object in V8's dictionary mode.
export * from './frame';
export * from './frame-encoder';
export * from './frame-decoder';
export * from './codec';
export * from './codecs';
export * from './handshake';
export * from './messages';
