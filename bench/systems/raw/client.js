'use strict';
// Raw bound client adapter: one socket, calls multiplexed by a numeric id;
// server streams (W7/W8) by a numeric stream id with credit (see stream.js).
const net = require('node:net');
const { FrameReader, FrameWriter } = require('./framing');
const { DEFAULT_WINDOW } = require('./stream');
const { MUL_A, MUL_B, ECHO_BUFFER } = require('../../lib/payloads');

const MULTIPLY = ['multiply', [MUL_A, MUL_B]];
const ECHO = ['echo', [ECHO_BUFFER]];

function connect(addresses) {
  const [host, port] = addresses[0].split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port), noDelay: true });
    const pending = new Map();
    const streams = new Map();
    let nextId = 0;
    let nextStream = 0;
    const writer = new FrameWriter(socket);
    const onStreamFrame = (frame, size) => {
      const s = streams.get(frame[1]);
      if (s === undefined) return;
      if (frame[0] === 'e') {
        streams.delete(frame[1]);
        s.resolve(s.received);
        return;
      }
      // 'd': the consumer "uses" the message (counts it), then owes credit back at half the window.
      s.received++;
      s.owedMessages++;
      s.owedBytes += size; // the frame's encoded body, as the producer counted it
      if (s.owedMessages >= s.window.messages / 2 || s.owedBytes >= s.window.bytes / 2) {
        writer.send(['c', frame[1], s.owedMessages, s.owedBytes]);
        s.owedMessages = 0;
        s.owedBytes = 0;
      }
    };
    const reader = new FrameReader((frame, size) => {
      if (typeof frame[0] === 'string') return onStreamFrame(frame, size);
      const p = pending.get(frame[0]);
      if (p === undefined) return;
      pending.delete(frame[0]);
      p.resolve(frame[1]);
    });
    const failAll = (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      for (const s of streams.values()) s.reject(err);
      streams.clear();
    };
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('error', (err) => {
      failAll(err);
      reject(err);
    });
    socket.on('close', () => failAll(new Error('connection closed')));
    socket.once('connect', () =>
      resolve({
        call(kind) {
          if (socket.destroyed) return Promise.reject(new Error('connection closed'));
          const id = nextId++ >>> 0;
          writer.send([id, kind === 'echo' ? ECHO : MULTIPLY]);
          return new Promise((res, rej) => pending.set(id, { resolve: res, reject: rej }));
        },
        /** Opens a server stream of `count` messages; resolves with the number received. */
        consume(count, window = DEFAULT_WINDOW) {
          if (socket.destroyed) return Promise.reject(new Error('connection closed'));
          const sid = nextStream++ >>> 0;
          return new Promise((res, rej) => {
            streams.set(sid, { resolve: res, reject: rej, received: 0, owedMessages: 0, owedBytes: 0, window });
            writer.send(['o', sid, count, window.messages, window.bytes]);
          });
        },
        close() {
          socket.destroy();
          return Promise.resolve();
        },
      }),
    );
  });
}

module.exports = { connect };
