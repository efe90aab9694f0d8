'use strict';
// Raw bound client adapter: one socket, calls multiplexed by a numeric id.
const net = require('node:net');
const { FrameReader, FrameWriter } = require('./framing');
const { MUL_A, MUL_B, ECHO_BUFFER } = require('../../lib/payloads');

const MULTIPLY = ['multiply', [MUL_A, MUL_B]];
const ECHO = ['echo', [ECHO_BUFFER]];

function connect(addresses) {
  const [host, port] = addresses[0].split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port), noDelay: true });
    const pending = new Map();
    let nextId = 0;
    const writer = new FrameWriter(socket);
    const reader = new FrameReader((frame) => {
      const p = pending.get(frame[0]);
      if (p === undefined) return;
      pending.delete(frame[0]);
      p.resolve(frame[1]);
    });
    const failAll = (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
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
        close() {
          socket.destroy();
          return Promise.resolve();
        },
      }),
    );
  });
}

module.exports = { connect };
