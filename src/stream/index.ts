// stream/: the transport-independent core of streams: credit windows in messages and bytes, the
// pull-based sender, the receiver buffer read as an AsyncIterable, the per-connection fairness
// budget. Layer 2: imports protocol/, call/, errors/, util/. Server and client wire it to frames.
export { type StreamWindow, type ResolvedStreamWindow, DEFAULT_STREAM_WINDOW, DEFAULT_STREAM_WINDOW_MESSAGES, DEFAULT_STREAM_WINDOW_BYTES, resolveStreamWindow } from './stream-window';
export { SendCredit } from './send-credit';
export { ReceiveWindow } from './receive-window';
export { StreamReceiver, type ReceiverHooks } from './stream-receiver';
export { TurnBudget, DEFAULT_STREAM_FRAMES_PER_TURN } from './turn-budget';
export { pump, type PumpSink } from './pump';
export { toAsyncIterator, isAsyncIterable } from './iterables';
export { ClientStreamState, ClientStreamAttempt, type StreamCallControl, type StreamWire } from './client-stream';
export { type RemoteStream, RemoteStreamHandle } from './remote-stream';
