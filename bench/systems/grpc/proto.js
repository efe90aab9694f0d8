'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'bench.proto'), { keepCase: true, defaults: true });

module.exports = { grpc, Bench: grpc.loadPackageDefinition(definition).rivetbench.Bench };
