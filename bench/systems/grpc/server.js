'use strict';
// gRPC unary service (grpc-js, HTTP/2, protobuf via proto-loader).
const { serve } = require('../../lib/server-host');
const { grpc, Bench } = require('./proto');

serve(
  () =>
    new Promise((resolve, reject) => {
      const server = new grpc.Server();
      server.addService(Bench.service, {
        Multiply: (call, cb) => cb(null, { result: call.request.a * call.request.b }),
        Echo: (call, cb) => cb(null, { data: call.request.data }),
      });
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        resolve({ port, close: () => new Promise((done) => server.tryShutdown(() => done())) });
      });
    }),
);
