'use strict';
// NestJS 11 microservice over its built-in TCP transport (JSON, '#'-delimited
// length prefix). Plain CommonJS: decorators are applied with Reflect.decorate
// so the harness needs no build step.
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Controller, Module } = require('@nestjs/common');
const { MessagePattern, Transport } = require('@nestjs/microservices');
const { serve } = require('../../lib/server-host');

class BenchController {
  multiply(data) {
    return data.a * data.b;
  }

  echo(data) {
    return data;
  }
}
for (const name of ['multiply', 'echo']) {
  Reflect.decorate([MessagePattern(name)], BenchController.prototype, name, Object.getOwnPropertyDescriptor(BenchController.prototype, name));
}
Reflect.decorate([Controller()], BenchController);

class BenchModule {}
Reflect.decorate([Module({ controllers: [BenchController] })], BenchModule);

serve(async () => {
  const app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: 0 },
    logger: false,
  });
  await app.listen();
  return { port: app.unwrap().address().port, close: () => app.close() };
});
