'use strict';
// gRPC service (grpc-js, HTTP/2, protobuf via proto-loader).
// Options: maxConcurrentStreams sets `grpc.max_concurrent_streams` (W9's tuned row).
const { serve } = require('../../lib/server-host');
const work = require('../../lib/work');
const { tick } = require('../raw/stream');
const { grpc, Bench } = require('./proto');

/** Server streaming that honours write()'s backpressure: stop at false, resume on 'drain'. */
function watch(call) {
  const count = call.request.count;
  let i = 0;
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  const pump = () => {
    while (i < count && !cancelled) {
      const ok = call.write(tick(i++));
      if (!ok) return call.once('drain', pump);
    }
    if (!cancelled) call.end();
  };
  pump();
}

serve(
  (options) =>
    new Promise((resolve, reject) => {
      const serverOptions = options.maxConcurrentStreams ? { 'grpc.max_concurrent_streams': options.maxConcurrentStreams } : {};
      const server = new grpc.Server(serverOptions);
      server.addService(Bench.service, {
        Multiply: (call, cb) => cb(null, { result: call.request.a * call.request.b }),
        Echo: (call, cb) => cb(null, { data: call.request.data }),
        Burn: (call, cb) => cb(null, { id: work.burn(call.request.id, call.request.deadline) }),
        Mixed: (call, cb) => work.mixed(call.request.id, call.request.deadline).then((id) => cb(null, { id })),
        Watch: watch,
      });
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        resolve({ port, close: () => new Promise((done) => server.tryShutdown(() => done())) });
      });
    }),
);
