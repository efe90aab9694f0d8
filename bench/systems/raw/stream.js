'use strict';
// The raw bound's server stream (W7/W8): the least a credit-based stream over
// one socket needs. Frames (msgpackr, same length prefix as calls):
//   client -> server  ['o', sid, count, windowMessages, windowBytes]   open; the window is the first credit
//   client -> server  ['c', sid, messages, bytes]                      more credit
//   server -> client  ['d', sid, message]                              one message
//   server -> client  ['e', sid]                                       end
// The producer sends only while it holds credit in messages and bytes (the
// byte credit may go negative by the last message sent, so a message larger
// than the window still goes through alone); the consumer grants credit back once it has
// consumed half the window, as Rivet's streams do by default.

const DEFAULT_WINDOW = { messages: 32, bytes: 1024 * 1024 };

/** The message every system streams: small, one number that changes, one that varies. */
function tick(i) {
  return { seq: i, value: i * 0.5 };
}

/** Server side: handles 'o' and 'c' frames for one connection. */
function streamServer(writer) {
  const streams = new Map();
  const pump = (sid, s) => {
    while (s.sent < s.count && s.messages > 0 && s.bytes > 0) {
      s.bytes -= writer.send(['d', sid, tick(s.sent)]);
      s.messages--;
      s.sent++;
    }
    if (s.sent === s.count) {
      writer.send(['e', sid]);
      streams.delete(sid);
    }
  };
  return (frame) => {
    const sid = frame[1];
    if (frame[0] === 'o') {
      const s = { count: frame[2], sent: 0, messages: frame[3], bytes: frame[4] };
      streams.set(sid, s);
      pump(sid, s);
    } else if (frame[0] === 'c') {
      const s = streams.get(sid);
      if (!s) return;
      s.messages += frame[2];
      s.bytes += frame[3];
      pump(sid, s);
    }
  };
}

module.exports = { DEFAULT_WINDOW, tick, streamServer };
