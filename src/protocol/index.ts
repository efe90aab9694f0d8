// protocol/: the bytes on the wire. Frame layout, decoder and encoder, handshake, message shapes,
// and the Codec seam with its two codecs. Layer 1: imports errors/ and util/.
export * from './frame';
export { encodeFrame, finishFrame } from './frame-encoder';
export { FrameDecoder, type FrameDecodeError } from './frame-decoder';
export { type Codec, type CodecName, CODEC_NAMES, MAX_EXTRA_FRAMED_BYTES } from './codec';
export { createCodec, MsgpackCodec, JsonCodec } from './codecs';
export * from './handshake';
export * from './messages';
export * from './stream-frames';
export * from './request-head';
export * from './load-report';
