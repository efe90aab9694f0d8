'use strict';
// Raw bound server: the least work a multiplexed request/response protocol
// over TCP can do in Node. Request frames are [id, [method, args]], replies [id, result];
// server streams (W7/W8) use the tagged frames described in stream.js.
const net = require('node:net');
const { serve } = require('../../lib/server-host');
const { FrameReader, FrameWriter } = require('./framing');
const { streamServer } = require('./stream');

const handlers = {
  multiply: (args) => args[0] * args[1],
  echo: (args) => args[0],
};

serve(
  () =>
    new Promise((resolve, reject) => {
      const sockets = new Set();
      const server = net.createServer((socket) => {
        socket.setNoDelay(true);
        sockets.add(socket);
        const writer = new FrameWriter(socket);
        const onStreamFrame = streamServer(writer);
        const reader = new FrameReader((frame) => {
          if (typeof frame[0] === 'string') return onStreamFrame(frame); // stream frames are tagged, calls have numeric ids
          const payload = frame[1];
          writer.send([frame[0], handlers[payload[0]](payload[1])]);
        });
        socket.on('data', (chunk) => reader.push(chunk));
        socket.on('error', () => {}); // a client dying mid-run is reported client-side
        socket.on('close', () => sockets.delete(socket));
      });
      server.maxConnections = 100000;
      server.on('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () =>
        resolve({
          port: server.address().port,
          close: () =>
            new Promise((done) => {
              for (const s of sockets) s.destroy();
              server.close(() => done());
            }),
        }),
      );
    }),
);
